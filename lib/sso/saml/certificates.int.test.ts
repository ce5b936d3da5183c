import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import forge from 'node-forge';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as certsRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/certificates/route';
import * as certRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/certificates/[fingerprintSha256]/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections } from '@/lib/db/schema';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { call } from '@/lib/testing/api';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';
import { announceExpiringCertificates, bindingsOf, libraryRecord } from './certificates';
import { certBody, engine } from './engine';
import { buildIdpMetadataXml } from './metadata';
import { sso } from '../jackson';

const DAY = 24 * 60 * 60 * 1000;
const fp = (pem: string) => new X509Certificate(pem).fingerprint256;

const add = (tenantId: string, connectionId: string, body: unknown) =>
  call(certsRoute.POST, {
    method: 'POST',
    path: `/api/v1/tenants/${tenantId}/connections/${connectionId}/certificates`,
    params: { tenantId, connectionId },
    body,
  });
const del = (tenantId: string, connectionId: string, fingerprintSha256: string) =>
  call(certRoute.DELETE, {
    method: 'DELETE',
    path: `/api/v1/tenants/${tenantId}/connections/${connectionId}/certificates/${encodeURIComponent(fingerprintSha256)}`,
    params: { tenantId, connectionId, fingerprintSha256 },
  });

async function eventsOf(tenantId: string, action?: string) {
  const db = await getDb();
  const rows = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
  return action ? rows.filter((e) => e.action === action) : rows;
}

async function rowOf(tenantId: string, id: string) {
  const db = await getDb();
  const [row] = await db.select().from(connections).where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)));
  return row;
}

/** A self-signed certificate with a chosen key (for the refusals the test IdP cannot make). */
function certWith(key: { publicKey: string; privateKey: string }, days = 365, notBefore = new Date(Date.now() - 60_000)) {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(key.publicKey);
  cert.serialNumber = '01';
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + days * DAY);
  cert.setSubject([{ name: 'commonName', value: 'weak.example.com' }]);
  cert.setIssuer([{ name: 'commonName', value: 'weak.example.com' }]);
  cert.sign(forge.pki.privateKeyFromPem(key.privateKey), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

describe('IdP signing certificate rollover', () => {
  beforeAll(async () => {
    await getDb();
    await sso();
  });

  it('accepts key A, then A and B once B is added, then only B once A is removed — in both signature checks', async () => {
    const { tenant, idp: idpA, connection, domain } = await samlTenant();
    const idpB = new TestSamlIdp({ entityId: idpA.entityId, ssoUrl: idpA.ssoUrl, keyPair: createIdpKeyPair({ commonName: 'b.example.com' }) });
    const email = `ada@${domain}`;

    expect((await samlSignIn(idpA, email)).callback?.status).toBe(303);
    // The two refusals from two addresses (one address's refusals for one reason are recorded once a minute).
    const before = await samlSignIn(idpB, email, {}, { acsIp: '192.0.2.21' });
    expect(before.acs.status).toBe(400); // B is not trusted yet

    const added = await add(tenant.id, connection.id, { certificate: idpB.certPem });
    expect(added.status).toBe(201);
    expect(added.body.idp.certificates.map((c: { fingerprintSha256: string }) => c.fingerprintSha256)).toEqual([fp(idpA.certPem), fp(idpB.certPem)]);
    // The SSO library's record holds both certificates too.
    const rec = await libraryRecord((await rowOf(tenant.id, connection.id)).clientId);
    expect(rec!.idpMetadata.publicKey!.split(',')).toHaveLength(2);

    // The SSO library's engine, which runs its whole check once per certificate it is given until
    // one verifies, is given the one that signed.
    const validate = vi.spyOn(engine, 'validate');
    expect((await samlSignIn(idpA, email)).callback?.status).toBe(303);
    expect((await samlSignIn(idpB, email)).callback?.status).toBe(303);
    expect(validate.mock.calls.map(([, options]) => options.publicKey)).toEqual([certBody(idpA.certPem), certBody(idpB.certPem)]);
    validate.mockRestore();

    expect((await del(tenant.id, connection.id, fp(idpA.certPem))).status).toBe(204);
    const refused = await samlSignIn(idpA, email, {}, { acsIp: '192.0.2.22' });
    expect(refused.acs.status).toBe(400);
    expect((await samlSignIn(idpB, email)).callback?.status).toBe(303);

    const [addedEvent] = await eventsOf(tenant.id, 'connection.certificate_added');
    expect(addedEvent.details).toMatchObject({ certificate: { fingerprintSha256: fp(idpB.certPem) } });
    expect((addedEvent.details as { after: { certificates: unknown[] } }).after.certificates).toHaveLength(2);
    const [removedEvent] = await eventsOf(tenant.id, 'connection.certificate_removed');
    expect(removedEvent.details).toMatchObject({ certificate: { fingerprintSha256: fp(idpA.certPem) } });
    const failed = await eventsOf(tenant.id, 'sso.login_failed');
    expect(failed.map((e) => e.reason)).toEqual(['signature_invalid', 'signature_invalid']);
  });

  it('the connection row is the one list of trusted keys for both validators; the API keeps the library record in step', async () => {
    const { tenant, idp: idpA, connection, domain } = await samlTenant();
    const idpB = new TestSamlIdp({ entityId: idpA.entityId, ssoUrl: idpA.ssoUrl, keyPair: createIdpKeyPair({ commonName: 'b2.example.com' }) });
    // A key only the SSO library's record knows (written around the API) is trusted by neither validator.
    const { jackson } = await sso();
    const before = (await libraryRecord((await rowOf(tenant.id, connection.id)).clientId))!;
    await jackson.connectionAPIController.updateSAMLConnection({
      clientID: before.clientID,
      clientSecret: before.clientSecret,
      tenant: before.tenant,
      product: before.product,
      rawMetadata: buildIdpMetadataXml({ entityId: idpA.entityId, bindings: bindingsOf(before), certificates: [{ pem: idpA.certPem }, { pem: idpB.certPem }] }),
    } as never);
    const libraryOnly = await samlSignIn(idpB, `bo@${domain}`);
    expect(libraryOnly.acs.status).toBe(400);
    expect((await eventsOf(tenant.id, 'sso.login_failed')).map((e) => e.reason)).toEqual(['signature_invalid']);

    expect((await add(tenant.id, connection.id, { certificate: idpB.certPem })).status).toBe(201);
    expect((await samlSignIn(idpB, `bo@${domain}`)).callback?.status).toBe(303);
    const rec = await libraryRecord((await rowOf(tenant.id, connection.id)).clientId);
    const libCerts = rec!.idpMetadata.publicKey!.split(',').map((b64) => fp(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`));
    expect(libCerts.sort()).toEqual([fp(idpA.certPem), fp(idpB.certPem)].sort());
    expect((await del(tenant.id, connection.id, fp(idpA.certPem).replace(/:/g, '').toUpperCase())).status).toBe(204);
    const after = await libraryRecord((await rowOf(tenant.id, connection.id)).clientId);
    expect(after!.idpMetadata.publicKey!.split(',')).toHaveLength(1);
    expect(after!.idpMetadata.sso?.redirectUrl).toBe(idpA.ssoUrl);
  });

  it('refuses bad certificates with 400 naming the field, and writes nothing', async () => {
    const { tenant, connection } = await samlTenant();
    const expired = createIdpKeyPair({ commonName: 'old.example.com', notBefore: new Date(Date.now() - 30 * DAY), validDays: 1 });
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
    const two = createIdpKeyPair({ commonName: 'x.example.com' });
    const cases: [unknown, RegExp][] = [
      [{}, /must be a PEM/],
      [{ certificate: '' }, /must not be empty/],
      [{ certificate: 'hello world' }, /not a PEM|not an X\.509/],
      [{ certificate: expired.certPem }, /expired on/],
      [{ certificate: weak.privateKey }, /private key/],
      [{ certificate: certWith(weak) }, /1024 bits/],
      [{ certificate: two.certPem + two.certPem }, /exactly one/],
      [{ certificate: 42 }, /must be a PEM/],
    ];
    const before = await rowOf(tenant.id, connection.id);
    for (const [body, message] of cases) {
      const res = await add(tenant.id, connection.id, body);
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.errors[0].path).toBe('certificate');
      expect(res.body.errors[0].message).toMatch(message);
    }
    // The same certificate twice is a conflict.
    const dup = await add(tenant.id, connection.id, { certificate: (await samlTenantCert(tenant.id, connection.id)) });
    expect(dup.status).toBe(409);
    expect(await rowOf(tenant.id, connection.id)).toEqual(before);
    expect(await eventsOf(tenant.id, 'connection.certificate_added')).toEqual([]);
  });

  it('refuses removing the last certificate, a malformed or unknown fingerprint, and another tenant’s connection', async () => {
    const { tenant, idp, connection } = await samlTenant();
    const other = await samlTenant();
    const last = await del(tenant.id, connection.id, fp(idp.certPem));
    expect(last.status).toBe(400);
    expect(last.body.errors[0]).toMatchObject({ path: 'fingerprintSha256', message: expect.stringMatching(/only signing certificate/) });
    const bad = await del(tenant.id, connection.id, 'zz');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('fingerprintSha256');
    expect((await del(tenant.id, connection.id, 'ab'.repeat(32))).status).toBe(404);
    expect((await del(other.tenant.id, connection.id, fp(idp.certPem))).status).toBe(404);
    expect((await add(other.tenant.id, connection.id, { certificate: createIdpKeyPair({ commonName: 'c.example.com' }).certPem })).status).toBe(404);
    expect((await rowOf(tenant.id, connection.id)).idp.certificates).toHaveLength(1);
    expect(await eventsOf(tenant.id, 'connection.certificate_removed')).toEqual([]);
  });

  it('two admins adding at once: each answer is 201 or 409, and the SSO library ends trusting exactly the row’s certificates', async () => {
    const { tenant, connection } = await samlTenant();
    const b = createIdpKeyPair({ commonName: 'race-b.example.com' });
    const c = createIdpKeyPair({ commonName: 'race-c.example.com' });
    const answers = await Promise.all([add(tenant.id, connection.id, { certificate: b.certPem }), add(tenant.id, connection.id, { certificate: c.certPem })]);
    expect(answers.map((a) => a.status).every((s) => s === 201 || s === 409)).toBe(true);
    expect(answers.some((a) => a.status === 201)).toBe(true);
    const row = await rowOf(tenant.id, connection.id);
    const rec = await libraryRecord(row.clientId);
    const libCerts = rec!.idpMetadata.publicKey!.split(',').map((b64) => fp(`-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----`));
    expect(libCerts.sort()).toEqual(row.idp.certificates!.map((x) => x.fingerprintSha256).sort());
    expect(await eventsOf(tenant.id, 'connection.certificate_added')).toHaveLength(row.idp.certificates!.length - 1);
  });

  it('refuses certificates on an OpenID Connect connection (400 on connectionId) without touching anything', async () => {
    const { tenant } = await samlTenant();
    const db = await getDb();
    const id = `conn_oidc_${Date.now().toString(36)}`;
    await db.insert(connections).values({ id, tenantId: tenant.id, type: 'oidc', clientId: `client-${id}`, idp: { issuer: 'https://op.example.com' } });
    const res = await add(tenant.id, id, { certificate: createIdpKeyPair({ commonName: 'o.example.com' }).certPem });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('connectionId');
    expect((await del(tenant.id, id, 'ab'.repeat(32))).status).toBe(400);
    expect((await rowOf(tenant.id, id)).idp).toEqual({ issuer: 'https://op.example.com' });
  });
});

/** The PEM of a connection's first certificate, as stored. */
async function samlTenantCert(tenantId: string, connectionId: string): Promise<string> {
  const row = await rowOf(tenantId, connectionId);
  return (row.idp.certificates![0] as unknown as { pem: string }).pem;
}

describe('certificate expiry announcements', () => {
  it('announces each threshold once per connection: 30, 14, 7 days and expired', async () => {
    const { tenant, connection } = await samlTenant();
    const db = await getDb();
    const row = await rowOf(tenant.id, connection.id);
    const notAfter = new Date(row.idp.certificates![0].notAfter);
    const at = (daysBefore: number) => new Date(notAfter.getTime() - daysBefore * DAY);
    const mine = async () => (await eventsOf(tenant.id, 'connection.certificate_expiring'));

    await announceExpiringCertificates(db, at(40), { tenantId: tenant.id });
    expect(await mine()).toEqual([]);
    await announceExpiringCertificates(db, at(29.5), { tenantId: tenant.id });
    await announceExpiringCertificates(db, at(29), { tenantId: tenant.id });
    expect((await mine()).map((e) => (e.details as { threshold: number }).threshold)).toEqual([30]);
    // 14 and 7 crossed between two runs: announced once, as 7.
    await announceExpiringCertificates(db, at(6.5), { tenantId: tenant.id });
    await announceExpiringCertificates(db, at(6), { tenantId: tenant.id });
    await announceExpiringCertificates(db, at(-1), { tenantId: tenant.id });
    await announceExpiringCertificates(db, at(-2), { tenantId: tenant.id });
    const events = await mine();
    expect(events.map((e) => (e.details as { threshold: number }).threshold)).toEqual([30, 7, 0]);
    expect(events[0]).toMatchObject({ actorType: 'system', targetId: connection.id });
    expect(events[0].details).toMatchObject({ fingerprint: row.idp.certificates![0].fingerprintSha256, notAfter: row.idp.certificates![0].notAfter, daysLeft: 29 });
    expect(events[2].details).toMatchObject({ expired: true });
    expect((await rowOf(tenant.id, connection.id)).certWarnedDays).toBe(0);
  });

  it('starts afresh when a rollover replaces the soonest certificate', async () => {
    const { tenant, idp, connection } = await samlTenant();
    const db = await getDb();
    const notAfter = new Date((await rowOf(tenant.id, connection.id)).idp.certificates![0].notAfter);
    await announceExpiringCertificates(db, new Date(notAfter.getTime() - 10 * DAY), { tenantId: tenant.id });
    expect((await rowOf(tenant.id, connection.id)).certWarnedDays).toBe(14);
    const next = createIdpKeyPair({ commonName: 'next.example.com', validDays: 730 });
    expect((await add(tenant.id, connection.id, { certificate: next.certPem })).status).toBe(201);
    expect((await rowOf(tenant.id, connection.id)).certWarnedDays).toBe(14); // the soonest is still the old one
    expect((await del(tenant.id, connection.id, fp(idp.certPem))).status).toBe(204);
    expect((await rowOf(tenant.id, connection.id)).certWarnedDays).toBeNull();
    await announceExpiringCertificates(db, new Date(notAfter.getTime() - 10 * DAY), { tenantId: tenant.id });
    expect(await eventsOf(tenant.id, 'connection.certificate_expiring')).toHaveLength(1);
  });
});
