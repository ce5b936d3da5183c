import { X509Certificate } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as connectionRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/route';
import * as keysRoute from '@/app/api/v1/sp/encryption-keys/route';
import * as rolloverRoute from '@/app/api/v1/sp/encryption-keys/rollover/route';
import * as rolloverEndRoute from '@/app/api/v1/sp/encryption-keys/rollover/end/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import * as certsRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/certificates/route';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { call } from '@/lib/testing/api';
import { beginSignIn, meta, postToAcs, samlTenant } from '@/lib/testing/sso';
import { handleCallback } from '../flow';
import { sso } from '../jackson';
import { sp } from '../sp';
import { spMetadataXml } from './sp-metadata';

/** The encryption certificates the SP metadata publishes, in order. */
async function publishedEncryptionCerts(): Promise<string[]> {
  const xml = await spMetadataXml();
  return [...xml.matchAll(/<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)</g)].map(
    (m) => `-----BEGIN CERTIFICATE-----\n${m[1]}\n-----END CERTIFICATE-----`,
  );
}

async function signInEncrypted(idp: TestSamlIdp, email: string, certPem: string | null, signing: { signAssertion?: boolean; signResponse?: boolean } = {}) {
  const b = await beginSignIn(email);
  const req = idp.parseAuthnRequest(b.samlRequest);
  const samlResponse = idp.buildResponse({
    acsUrl: sp().acsUrl,
    audience: sp().entityId,
    inResponseTo: req.id,
    nameId: email,
    attributes: { email, groups: ['Engineering'] },
    ...(certPem ? { encryptTo: { certPem } } : {}),
    ...signing,
  });
  const acs = await postToAcs(samlResponse, b.relayState);
  if (acs.status !== 303) return { acs, callback: null };
  return { acs, callback: await handleCallback(new URL(acs.headers.get('location')!), b.cookie, meta) };
}

async function failures(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id))
    .filter((e) => e.action === 'sso.login_failed')
    .map((e) => e.reason);
}

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

// The database first (opening and migrating it can take a while on a busy machine), then the SSO library.
beforeAll(async () => {
  await getDb();
  await sso();
}, 60_000);

describe('encrypted assertions through the ACS', () => {
  it('signs in with an assertion encrypted to the certificate in the SP metadata; a connection can require encryption', async () => {
    const { tenant, idp, connection, domain } = await samlTenant();
    const [cert] = await publishedEncryptionCerts();
    expect(cert).toBeTruthy();
    const ok = await signInEncrypted(idp, `enc@${domain}`, cert);
    expect(ok.acs.status).toBe(303);
    expect(ok.callback?.status).toBe(303);
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.email, `enc@${domain}`))).toHaveLength(1);

    const patch = (body: unknown) =>
      call(connectionRoute.PATCH, {
        method: 'PATCH',
        path: `/api/v1/tenants/${tenant.id}/connections/${connection.id}`,
        params: { tenantId: tenant.id, connectionId: connection.id },
        body,
      });
    expect((await patch({ requireEncryptedAssertions: 'yes' })).status).toBe(400);
    const required = await patch({ requireEncryptedAssertions: true });
    expect(required.status).toBe(200);
    expect(required.body.requireEncryptedAssertions).toBe(true);
    const plain = await signInEncrypted(idp, `plain@${domain}`, null);
    expect(plain.acs.status).toBe(400);
    expect(await failures(tenant.id)).toEqual(['assertion_not_encrypted']);
    expect(await db.select().from(users).where(eq(users.email, `plain@${domain}`))).toEqual([]);
    expect((await signInEncrypted(idp, `enc2@${domain}`, cert)).callback?.status).toBe(303);
  });

  it('an encrypted assertion signed only over the whole Response signs in on a connection with two IdP certificates, by either', async () => {
    // The SSO library's engine accepts a signature over the ciphertext only when given one
    // certificate: the portal gives it the one that signed (lib/sso/NOTES-jackson.md).
    const { tenant, idp, connection, domain } = await samlTenant();
    const [cert] = await publishedEncryptionCerts();
    const second = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, keyPair: createIdpKeyPair({ commonName: 'second.example.com' }) });
    const added = await call(certsRoute.POST, {
      method: 'POST',
      params: { tenantId: tenant.id, connectionId: connection.id },
      body: { certificate: second.certPem },
    });
    expect(added.status).toBe(201);
    for (const [i, signer] of [idp, second].entries()) {
      const r = await signInEncrypted(signer, `whole${i}@${domain}`, cert, { signAssertion: false, signResponse: true });
      expect(r.acs.status, `signed by certificate ${i + 1}`).toBe(303);
      expect(r.callback?.status).toBe(303);
    }
    expect(await failures(tenant.id)).toEqual([]);
  });

  it('rolls the encryption key over: both published and both decrypting, then only the new one', async () => {
    const { tenant, idp, domain } = await samlTenant();
    const before = await publishedEncryptionCerts();
    expect(before).toHaveLength(1);
    expect((await call(rolloverEndRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover/end', body: { how: 'finish' } })).status).toBe(409);

    const started = await call(rolloverRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ state: 'next' });
    expect(started.body).not.toHaveProperty('privateKey');
    expect((await call(rolloverRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover' })).status).toBe(409);
    const during = await publishedEncryptionCerts();
    expect(during.map(fp)).toEqual([fp(before[0]), started.body.id]);
    const listed = await call(keysRoute.GET, { path: '/api/v1/sp/encryption-keys' });
    expect(listed.body.data.map((k: { state: string }) => k.state)).toEqual(['current', 'next']);
    expect((await signInEncrypted(idp, `old@${domain}`, during[0])).callback?.status).toBe(303);
    expect((await signInEncrypted(idp, `new@${domain}`, during[1])).callback?.status).toBe(303);

    expect((await call(rolloverEndRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover/end', body: { how: 'later' } })).status).toBe(400);
    const finished = await call(rolloverEndRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover/end', body: { how: 'finish' } });
    expect(finished.status).toBe(200);
    expect(finished.body).toMatchObject({ id: started.body.id, state: 'current' });
    expect((await publishedEncryptionCerts()).map(fp)).toEqual([started.body.id]);
    expect((await signInEncrypted(idp, `late@${domain}`, during[0])).acs.status).toBe(400);
    expect(await failures(tenant.id)).toEqual(['decryption_failed']);

    // A rollover can also be called off: the new key goes, the current one stays.
    const again = await call(rolloverRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover' });
    const cancelled = await call(rolloverEndRoute.POST, { method: 'POST', path: '/api/v1/sp/encryption-keys/rollover/end', body: { how: 'cancel' } });
    expect(cancelled.body).toMatchObject({ id: started.body.id, state: 'current' });
    expect((await publishedEncryptionCerts()).map(fp)).not.toContain(again.body.id);

    const db = await getDb();
    const operatorEvents = (await db.select().from(auditEvents).orderBy(auditEvents.id)).filter((e) => e.action.startsWith('sp_key.')).slice(-3);
    expect(operatorEvents.map((e) => [e.action, e.tenantId])).toEqual([
      ['sp_key.rollover_finished', null],
      ['sp_key.rollover_started', null],
      ['sp_key.rollover_cancelled', null],
    ]);
  });
});
