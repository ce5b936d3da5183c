import { verify as cryptoVerify } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { createConnection, updateConnection } from '@/lib/dal/connections';
import { ssoOfSession } from '@/lib/dal/sessions';
import { createTenant } from '@/lib/dal/tenants';
import { getDb } from '@/lib/db/client';
import { auditEvents, sessions } from '@/lib/db/schema';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { uniqueDomain } from '@/lib/testing/api';
import { beginSignIn, meta, postToAcs } from '@/lib/testing/sso';
import { handleCallback } from '../flow';
import { sso } from '../jackson';
import { sp } from '../sp';
import { handleSlo, spLogoutTarget } from './logout';
import { spMetadataXml } from './sp-metadata';

async function spCertPem(): Promise<string> {
  const b64 = /<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>([^<]+)</.exec(await spMetadataXml())![1];
  return `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Verifies the portal's HTTP-Redirect signature and returns the message it carries. */
async function portalRedirectMessage(location: string, param: 'SAMLRequest' | 'SAMLResponse'): Promise<string> {
  const query = new URL(location).search.slice(1);
  const signed = query.slice(query.indexOf(`${param}=`), query.indexOf('&Signature='));
  const signature = Buffer.from(decodeURIComponent(/&Signature=([^&]+)/.exec(query)![1]), 'base64');
  expect(cryptoVerify('sha256', Buffer.from(signed), await spCertPem(), signature)).toBe(true);
  return inflateRawSync(Buffer.from(new URL(location).searchParams.get(param)!, 'base64')).toString('utf8');
}

async function sloTenant() {
  const domain = uniqueDomain('slo');
  const tenant = await createTenant(SYSTEM, { name: `SLO ${domain}`, domains: [domain] });
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso`, sloUrl: `https://idp.${domain}/slo` });
  const connection = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
  return { tenant, idp, connection, domain };
}

/** A sign-in with a chosen SessionIndex; returns the portal session's id. */
async function signIn(idp: TestSamlIdp, email: string, sessionIndex: string, nameId = email): Promise<string> {
  const b = await beginSignIn(email);
  const req = idp.parseAuthnRequest(b.samlRequest);
  const acs = await postToAcs(
    idp.buildResponse({
      acsUrl: sp().acsUrl,
      audience: sp().entityId,
      inResponseTo: req.id,
      nameId,
      ...(nameId !== email ? { nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' } : {}),
      sessionIndex,
      attributes: { email },
    }),
    b.relayState,
  );
  expect(acs.status).toBe(303);
  const cb = await handleCallback(new URL(acs.headers.get('location')!), b.cookie, meta);
  expect(cb.status).toBe(303);
  const db = await getDb();
  const [row] = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(sql`${sessions.sso}->>'nameId' = ${nameId}`, sql`${sessions.sso}->>'sessionIndex' = ${sessionIndex}`));
  return row.id;
}

async function liveSessionIds(tenantId: string): Promise<string[]> {
  const db = await getDb();
  return (await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.tenantId, tenantId))).map((r) => r.id).sort();
}

async function eventsOf(tenantId: string | null, action: string) {
  const db = await getDb();
  const rows = await db.select().from(auditEvents).orderBy(auditEvents.id);
  return rows.filter((e) => e.action === action && e.tenantId === tenantId);
}

const slo = (query: string) => handleSlo(new URL(`${sp().sloUrl}?${query}`), null, meta);

// The database first (opening and migrating it can take a while on a busy machine), then the SSO library.
beforeAll(async () => {
  await getDb();
  await sso();
}, 60_000);

describe('single logout', () => {
  it('publishes its SLO service in the SP metadata, both bindings', async () => {
    const xml = await spMetadataXml();
    expect(xml).toContain(`<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${sp().sloUrl}"/>`);
    expect(xml).toContain(`<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${sp().sloUrl}"/>`);
  });

  it('IdP-initiated: a signed LogoutRequest ends the sessions it names and gets a signed LogoutResponse', async () => {
    const { tenant, idp, connection, domain } = await sloTenant();
    const ann = `ann@${domain}`;
    const first = await signIn(idp, ann, '_idx-1');
    const second = await signIn(idp, ann, '_idx-2');
    const other = await signIn(idp, `bob@${domain}`, '_idx-3');
    expect(await ssoOfSession(first)).toEqual({ connectionId: connection.id, nameId: ann, nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', sessionIndex: '_idx-1' });

    // The IdP ends Ann's first session (HTTP-Redirect binding, signed query).
    const request = idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: ann, sessionIndex: '_idx-1', id: '_logout-1' });
    const query = idp.redirectQuery('SAMLRequest', request, { relayState: 'back-to-idp' });
    const res = await slo(query);
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location.startsWith(`https://idp.${domain}/slo?SAMLResponse=`)).toBe(true);
    expect(new URL(location).searchParams.get('RelayState')).toBe('back-to-idp');
    const answer = await portalRedirectMessage(location, 'SAMLResponse');
    expect(answer).toContain('InResponseTo="_logout-1"');
    expect(answer).toContain('urn:oasis:names:tc:SAML:2.0:status:Success');
    expect(await liveSessionIds(tenant.id)).toEqual([second, other].sort());
    const ended = await eventsOf(tenant.id, 'session.ended');
    expect(ended.map((e) => [e.reason, (e.details as { sessionId: string }).sessionId])).toEqual([['idp_logout', first]]);
    expect((await eventsOf(tenant.id, 'sso.logout')).map((e) => e.details)).toEqual([{ initiatedBy: 'idp', sessionsEnded: 1 }]);

    // The same request again: refused and audited, nothing more ends.
    expect((await slo(query)).status).toBe(400);
    // Without a SessionIndex: every session of Ann from this connection (HTTP-POST binding).
    const all = idp.signMessage(idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: ann }));
    const posted = await handleSlo(new URL(sp().sloUrl), new URLSearchParams({ SAMLRequest: Buffer.from(all).toString('base64') }), meta);
    expect(posted.status).toBe(303);
    expect(await liveSessionIds(tenant.id)).toEqual([other]);
    expect((await eventsOf(tenant.id, 'sso.logout_refused')).map((e) => e.reason)).toEqual(['replayed']);
  });

  it('refuses unsigned, foreign, weakly signed, expired and misaddressed LogoutRequests, and audits each', async () => {
    const { tenant, idp, domain } = await sloTenant();
    const ann = `ann@${domain}`;
    const session = await signIn(idp, ann, '_idx-1');
    const forger = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, keyPair: createIdpKeyPair({ commonName: 'forger.example' }) });
    const req = (o: Partial<Parameters<TestSamlIdp['buildLogoutRequestXml']>[0]> = {}) => idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: ann, ...o });
    const cases: [string, string][] = [
      [idp.redirectQuery('SAMLRequest', req(), { unsigned: true }), 'logout_unsigned'],
      [forger.redirectQuery('SAMLRequest', req()), 'logout_signature_invalid'],
      [idp.redirectQuery('SAMLRequest', req(), { signatureAlgorithm: 'sha1' }), 'weak_algorithm'],
      [idp.redirectQuery('SAMLRequest', req({ issueInstant: new Date(Date.now() - 15 * 60 * 1000) })), 'logout_expired'],
      [idp.redirectQuery('SAMLRequest', req({ destination: 'https://elsewhere.example/slo' })), 'logout_destination_mismatch'],
      // A signed message must say where it was sent.
      [idp.redirectQuery('SAMLRequest', req().replace(/ Destination="[^"]*"/, '')), 'logout_destination_mismatch'],
    ];
    // Each from its own address: one address's refusals for one reason are recorded once a minute.
    for (const [i, [query]] of cases.entries()) expect((await handleSlo(new URL(`${sp().sloUrl}?${query}`), null, { ...meta, ip: `192.0.2.${110 + i}` })).status).toBe(400);
    // POST binding: an unsigned message, and one whose signature another key made.
    // (From other addresses: one address's refusals for one reason are recorded once a minute.)
    const unsignedPost = await handleSlo(new URL(sp().sloUrl), new URLSearchParams({ SAMLRequest: Buffer.from(req()).toString('base64') }), { ...meta, ip: '192.0.2.93' });
    const forgedPost = await handleSlo(new URL(sp().sloUrl), new URLSearchParams({ SAMLRequest: Buffer.from(forger.signMessage(req())).toString('base64') }), { ...meta, ip: '192.0.2.94' });
    expect([unsignedPost.status, forgedPost.status]).toEqual([400, 400]);
    expect(await liveSessionIds(tenant.id)).toEqual([session]);
    // A message no certificate verified could be anyone's: in the operator's log, not the tenant's.
    const unverified = ['logout_unsigned', 'logout_signature_invalid', 'weak_algorithm'];
    expect((await eventsOf(tenant.id, 'sso.logout_refused')).map((e) => e.reason)).toEqual(cases.map(([, r]) => r).filter((r) => !unverified.includes(r)));
    const operatorLog = (await eventsOf(null, 'sso.logout_refused')).filter((e) => /^192\.0\.2\.(11\d|9[34])$/.test(e.ip ?? ''));
    expect(operatorLog.map((e) => e.reason).sort()).toEqual(['logout_signature_invalid', 'logout_signature_invalid', 'logout_unsigned', 'logout_unsigned', 'weak_algorithm']);

    // An issuer no connection has: refused, in no tenant's log.
    const stranger = new TestSamlIdp({ entityId: `https://stranger.${domain}/metadata`, ssoUrl: 'https://stranger.example/sso' });
    const res = await slo(stranger.redirectQuery('SAMLRequest', stranger.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: ann })));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('unknown_connection');
  });

  it('SP-initiated: signing out sends a signed LogoutRequest with the NameID and SessionIndex; the signed answer ends on /signin', async () => {
    const { tenant, idp, domain } = await sloTenant();
    const ann = `ann@${domain}`;
    const session = await signIn(idp, ann, '_idx-9');
    const target = await spLogoutTarget(await ssoOfSession(session));
    expect(target!.startsWith(`https://idp.${domain}/slo?SAMLRequest=`)).toBe(true);
    const request = await portalRedirectMessage(target!, 'SAMLRequest');
    expect(request).toContain(`<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${ann}</saml:NameID>`);
    expect(request).toContain('<samlp:SessionIndex>_idx-9</samlp:SessionIndex>');
    expect(request).toContain(`<saml:Issuer>${sp().entityId}</saml:Issuer>`);
    const requestId = /ID="([^"]+)"/.exec(request)![1];

    // An unsigned answer is refused; the signed one is accepted once.
    const answer = idp.buildLogoutResponseXml({ destination: sp().sloUrl, inResponseTo: requestId });
    const signed = idp.redirectQuery('SAMLResponse', answer);
    const done = await slo(signed);
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/signin');
    expect((await slo(signed)).status).toBe(400);
    expect((await eventsOf(tenant.id, 'sso.logout')).map((e) => e.details)).toEqual([{ initiatedBy: 'portal', idpStatus: 'urn:oasis:names:tc:SAML:2.0:status:Success' }]);
    expect((await eventsOf(tenant.id, 'sso.logout_refused')).map((e) => e.reason)).toEqual(['unknown_request']);

    const again = await spLogoutTarget(await ssoOfSession(session));
    const againId = /ID="([^"]+)"/.exec(await portalRedirectMessage(again!, 'SAMLRequest'))![1];
    const unsigned = await slo(idp.redirectQuery('SAMLResponse', idp.buildLogoutResponseXml({ destination: sp().sloUrl, inResponseTo: againId }), { unsigned: true }));
    expect(unsigned.status).toBe(400);
    expect((await eventsOf(tenant.id, 'sso.logout_refused')).map((e) => e.reason)).toEqual(['unknown_request', 'logout_unsigned']);
  });

  it('tenants that share an IdP (entity ID and key): its LogoutRequest ends the person’s sessions in each of them', async () => {
    const a = await sloTenant();
    const domainB = uniqueDomain('slo-b');
    const tenantB = await createTenant(SYSTEM, { name: `SLO B ${domainB}`, domains: [domainB] });
    await createConnection(SYSTEM, tenantB.id, { type: 'saml', metadataXml: a.idp.metadataXml() });
    const inA = await signIn(a.idp, `emp@${a.domain}`, '_a', 'employee-42');
    const inB = await signIn(a.idp, `emp@${domainB}`, '_b', 'employee-42');
    const res = await slo(a.idp.redirectQuery('SAMLRequest', a.idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: 'employee-42', nameIdFormat: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent' })));
    expect(res.status).toBe(303);
    expect(await liveSessionIds(a.tenant.id)).not.toContain(inA);
    expect(await liveSessionIds(tenantB.id)).not.toContain(inB);
    expect((await eventsOf(tenantB.id, 'session.ended')).map((e) => e.reason)).toEqual(['idp_logout']);
  });

  it('an anonymous flood of refused messages adds one event a minute per tenant, reason and address', async () => {
    const { tenant, idp, domain } = await sloTenant();
    const forger = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, keyPair: createIdpKeyPair({ commonName: 'flood.example' }) });
    const stranger = new TestSamlIdp({ entityId: `https://flood-stranger.${domain}/metadata`, ssoUrl: 'https://stranger.example/sso' });
    const from = (q: string, ip: string) => handleSlo(new URL(`${sp().sloUrl}?${q}`), null, { ...meta, ip });
    for (let i = 0; i < 5; i++) {
      const forged = forger.redirectQuery('SAMLRequest', forger.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: `n${i}@${domain}` }), { unsigned: true });
      expect((await from(forged, '192.0.2.91')).status).toBe(400);
      const unknown = stranger.redirectQuery('SAMLRequest', stranger.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: `n${i}@${domain}` }));
      expect((await from(unknown, '192.0.2.92')).status).toBe(400);
    }
    // Unsigned: no certificate verified it, so it is not the tenant's to read (the operator's log).
    expect((await eventsOf(tenant.id, 'sso.logout_refused')).filter((e) => e.ip === '192.0.2.91')).toHaveLength(0);
    expect((await eventsOf(null, 'sso.logout_refused')).filter((e) => e.ip === '192.0.2.91')).toHaveLength(1);
    expect((await eventsOf(null, 'sso.logout_refused')).filter((e) => e.ip === '192.0.2.92')).toHaveLength(1);
  });

  it('tenants that share an entity ID: the answer goes to the SLO service of the connection whose sessions it ended, never to another tenant’s copy', async () => {
    const domain = uniqueDomain('slo-v');
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso`, sloUrl: `https://idp.${domain}/slo` });
    // Another tenant's admin copied the IdP's public metadata, with their own SLO location, first.
    const copy = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, sloUrl: 'https://evil.example/collect', keyPair: idp.keyPair });
    const attacker = await createTenant(SYSTEM, { name: `SLO copy ${domain}`, domains: [uniqueDomain('slo-a')] });
    await createConnection(SYSTEM, attacker.id, { type: 'saml', metadataXml: copy.metadataXml() });
    const victim = await createTenant(SYSTEM, { name: `SLO victim ${domain}`, domains: [domain] });
    await createConnection(SYSTEM, victim.id, { type: 'saml', metadataXml: idp.metadataXml() });
    const session = await signIn(idp, `ann@${domain}`, '_v1');
    const request = idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: `ann@${domain}`, sessionIndex: '_v1' });
    const res = await slo(idp.redirectQuery('SAMLRequest', request, { relayState: 'idp-state' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')!.startsWith(`https://idp.${domain}/slo?SAMLResponse=`)).toBe(true);
    expect(await liveSessionIds(victim.id)).not.toContain(session);
    // Nobody's sessions ended, and the two SLO locations differ: no redirect to either.
    const none = await slo(idp.redirectQuery('SAMLRequest', idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: `nobody@${domain}` }), { relayState: 'x' }));
    expect(none.headers.get('location') ?? '').not.toContain('evil.example');
  });

  it('a copy that is not active neither ends sessions nor keeps the IdP from its answer', async () => {
    const domain = uniqueDomain('slo-d');
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso`, sloUrl: `https://idp.${domain}/slo` });
    const tenant = await createTenant(SYSTEM, { name: `SLO d ${domain}`, domains: [domain] });
    await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
    const copy = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, sloUrl: 'https://evil.example/collect', keyPair: idp.keyPair });
    const other = await createTenant(SYSTEM, { name: `SLO d copy ${domain}`, domains: [uniqueDomain('slo-dc')] });
    const draft = await createConnection(SYSTEM, other.id, { type: 'saml', metadataXml: copy.metadataXml() });
    await updateConnection(SYSTEM, other.id, draft.id, { status: 'draft' });
    // A LogoutRequest that ends no session (already signed out): answered at the IdP's own location.
    const res = await slo(idp.redirectQuery('SAMLRequest', idp.buildLogoutRequestXml({ destination: sp().sloUrl, nameId: `gone@${domain}` }), { relayState: 'x' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')!.startsWith(`https://idp.${domain}/slo?SAMLResponse=`)).toBe(true);
  });

  it('a connection whose IdP has no SLO service signs out of the portal only', async () => {
    const domain = uniqueDomain('noslo');
    const tenant = await createTenant(SYSTEM, { name: `No SLO ${domain}`, domains: [domain] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
    const session = await signIn(idp, `ann@${domain}`, '_idx-1');
    expect(await spLogoutTarget(await ssoOfSession(session))).toBeNull();
  });
});
