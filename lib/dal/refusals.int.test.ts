import { Resolver } from 'node:dns/promises';
import dgram from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as connectionsRoute from '@/app/api/v1/tenants/[tenantId]/connections/route';
import * as verifyChainRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/verify/route';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/domains/[domain]/verify/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { createIdpKeyPair, startSamlIdpServer, TestSamlIdp } from '@/e2e/idp/saml-idp';
import type { Ctx } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections, tenantDomains } from '@/lib/db/schema';
import { sso } from '@/lib/sso/jackson';
import { PRODUCT } from '@/lib/sso/sp';
import { call, uniqueDomain } from '@/lib/testing/api';
import { startTxtDnsServer } from '@/lib/testing/dns-server';
import { checkSamlMetadata, createConnection } from './connections';
import { addDomain, verifyDomain } from './domains';

/**
 * Refused configuration input is audited: each refusal answers as it always did (same status and
 * problem+json), writes exactly one failure event with a typed reason in the tenant's chain, and
 * stores nothing else.
 */

const DAY = 24 * 60 * 60 * 1000;
const g = globalThis as Record<string, unknown>;
const admin: Ctx = { actor: { type: 'admin', id: 'plk_refusals', label: 'setup link' }, ip: '203.0.113.7', userAgent: 'vitest' };

let n = 0;
function newIdp(label = 'idp', keyPair?: ReturnType<typeof createIdpKeyPair>) {
  const host = `${label}-${process.pid}-${Date.now().toString(36)}-${n++}.example.com`;
  return new TestSamlIdp({ entityId: `https://${host}/metadata`, ssoUrl: `https://${host}/sso`, ...(keyPair ? { keyPair } : {}) });
}

async function newTenant(domains: string[] = []) {
  const res = await call(tenantsRoute.POST, { method: 'POST', body: { name: `Refusals ${uniqueDomain('t')}`, domains } });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string };
}

const create = (tenantId: string, body: unknown) => call(connectionsRoute.POST, { method: 'POST', params: { tenantId }, body });

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

/** Everything a refused create could have stored: the portal's rows, the SSO library's records, audit events. */
async function snapshot(tenantId: string) {
  const db = await getDb();
  const { jackson } = await sso();
  return {
    rows: (await db.select({ id: connections.id }).from(connections).where(eq(connections.tenantId, tenantId))).map((r) => r.id).sort(),
    library: ((await jackson.connectionAPIController.getConnections({ tenant: tenantId, product: PRODUCT } as never)) as { clientID: string }[])
      .map((r) => r.clientID)
      .sort(),
    events: (await eventsOf(tenantId)).map((e) => e.id),
  };
}

/** Asserts that exactly one event was added since `before`, and returns it. */
async function onlyNewEvent(tenantId: string, before: string[]) {
  const added = (await eventsOf(tenantId)).filter((e) => !before.includes(e.id));
  expect(added.map((e) => e.action)).toHaveLength(1);
  return added[0];
}

const expiredKeys = () => createIdpKeyPair({ commonName: 'expired.example.com', notBefore: new Date(Date.now() - 30 * DAY), validDays: 1 });

type Case = [name: string, reason: string, body: () => Record<string, unknown>, field: string, details: Record<string, unknown>];
const refusedInputs: Case[] = [
  ['metadata that is not XML', 'not_xml', () => ({ type: 'saml', metadataXml: 'hello, not xml' }), 'metadataXml', { type: 'saml' }],
  ['metadata with a DOCTYPE', 'doctype', () => ({ type: 'saml', metadataXml: `<!DOCTYPE x [<!ENTITY e "e">]>${newIdp().metadataXml()}` }), 'metadataXml', { type: 'saml' }],
  ['SP metadata (no IDPSSODescriptor)', 'no_idp_descriptor', () => ({ type: 'saml', metadataXml: newIdp().metadataXml().replace(/IDPSSODescriptor/g, 'SPSSODescriptor') }), 'metadataXml', { type: 'saml' }],
  ['metadata without a signing certificate', 'no_signing_certificate', () => ({ type: 'saml', metadataXml: newIdp().metadataXml().replace(/<md:KeyDescriptor.*<\/md:KeyDescriptor>/, '') }), 'metadataXml', { type: 'saml' }],
  ['metadata whose only certificate expired', 'expired_certificate', () => ({ type: 'saml', metadataXml: newIdp('expired', expiredKeys()).metadataXml() }), 'metadataXml', { type: 'saml' }],
  ['a metadata URL on loopback', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'https://127.0.0.1:8443/metadata?token=s3cret#x' }), 'metadataUrl', { type: 'saml', metadataUrl: 'https://127.0.0.1:8443/metadata' }],
  ['a metadata URL to the cloud metadata address', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'https://169.254.169.254/latest/meta-data' }), 'metadataUrl', { type: 'saml', metadataUrl: 'https://169.254.169.254/latest/meta-data' }],
  ['a metadata URL to a private address', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'https://10.1.2.3/metadata' }), 'metadataUrl', { type: 'saml', metadataUrl: 'https://10.1.2.3/metadata' }],
  ['a metadata URL to [::ffff:127.0.0.1]', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'https://[::ffff:127.0.0.1]:8443/metadata' }), 'metadataUrl', { type: 'saml', metadataUrl: 'https://[::ffff:7f00:1]:8443/metadata' }],
  ['a metadata URL over plain http', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'http://idp.example.com/metadata' }), 'metadataUrl', { type: 'saml', metadataUrl: 'http://idp.example.com/metadata' }],
  ['a metadata URL with credentials', 'url_not_allowed', () => ({ type: 'saml', metadataUrl: 'https://user:pw@idp.example.com/metadata' }), 'metadataUrl', { type: 'saml', metadataUrl: 'https://idp.example.com/metadata' }],
  ['an OIDC discovery URL on loopback', 'url_not_allowed', () => ({ type: 'oidc', discoveryUrl: 'https://127.0.0.1/.well-known/openid-configuration', clientId: 'abc', clientSecret: 's3cret' }), 'discoveryUrl', { type: 'oidc', discoveryUrl: 'https://127.0.0.1/.well-known/openid-configuration' }],
];

describe('refused connection input is audited as connection.create_refused', () => {
  beforeAll(async () => {
    await getDb();
    await sso();
  });

  it.each(refusedInputs)('operator API, %s: 400 as before, one failure event (%s), nothing stored', async (_name, reason, body, field, details) => {
    const t = await newTenant();
    // One connection already there, so "nothing stored" is checked against a non-empty state.
    expect((await create(t.id, { type: 'saml', metadataXml: newIdp().metadataXml() })).status).toBe(201);
    const before = await snapshot(t.id);

    const input = body();
    const res = await create(t.id, input);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request', type: expect.stringMatching(/^about:blank#invalid_(metadata|url)$/), detail: expect.any(String) });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);

    const event = await onlyNewEvent(t.id, before.events);
    expect(event).toMatchObject({
      action: 'connection.create_refused',
      outcome: 'failure',
      reason,
      actorType: 'operator',
      chainKey: t.id,
      targetType: null,
    });
    expect(event.details).toEqual(details);
    // Never the metadata, a query string or credentials.
    expect(JSON.stringify(event.details)).not.toMatch(/<|s3cret|token=|pw@/);

    const after = await snapshot(t.id);
    expect({ rows: after.rows, library: after.library }).toEqual({ rows: before.rows, library: before.library });
  });

  it('the console’s create path (a draft by a tenant admin) and its "Check metadata" step audit the same way', async () => {
    const t = await newTenant();
    const before = await snapshot(t.id);
    const xml = newIdp('expired', expiredKeys()).metadataXml();
    await expect(createConnection(admin, t.id, { type: 'saml', metadataXml: xml, status: 'draft' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_metadata',
      errors: [{ path: 'metadataXml' }],
    });
    const created = await onlyNewEvent(t.id, before.events);
    expect(created).toMatchObject({ action: 'connection.create_refused', outcome: 'failure', reason: 'expired_certificate', actorType: 'admin', actorId: 'plk_refusals', ip: '203.0.113.7' });
    expect(created.details).toEqual({ type: 'saml' });

    const mid = await snapshot(t.id);
    await expect(checkSamlMetadata(admin, t.id, { metadataUrl: 'https://169.254.169.254/latest/meta-data?x=1' })).rejects.toMatchObject({
      status: 400,
      code: 'invalid_url',
      errors: [{ path: 'metadataUrl' }],
    });
    const checked = await onlyNewEvent(t.id, mid.events);
    expect(checked).toMatchObject({ action: 'connection.create_refused', outcome: 'failure', reason: 'url_not_allowed', actorType: 'admin' });
    expect(checked.details).toEqual({ type: 'saml', metadataUrl: 'https://169.254.169.254/latest/meta-data', step: 'check' });

    // A good check writes nothing; an empty one is a form error, not an audited refusal.
    const late = await snapshot(t.id);
    await expect(checkSamlMetadata(admin, t.id, { metadataXml: newIdp().metadataXml() })).resolves.toMatchObject({ parsed: { ssoUrl: expect.any(String) } });
    await expect(checkSamlMetadata(admin, t.id, {})).rejects.toMatchObject({ status: 400 });
    expect((await snapshot(t.id)).events).toEqual(late.events);
    expect((await snapshot(t.id)).rows).toEqual([]);

    // The refusals are in the tenant's chain, which stays intact.
    const chain = await call(verifyChainRoute.GET, { params: { tenantId: t.id } });
    expect(chain.body).toMatchObject({ intact: true, checked: late.events.length });
  });

  it('what is not a refusal of input writes no refusal: boundary validation, a 409, an unknown tenant', async () => {
    const t = await newTenant();
    const idp = newIdp();
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(201);
    const before = await snapshot(t.id);
    expect((await create(t.id, { type: 'saml', metadataUrl: 'file:///etc/passwd' })).status).toBe(400);
    expect((await create(t.id, { type: 'saml' })).status).toBe(400);
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(409);
    expect((await create('tnt_does_not_exist', { type: 'saml', metadataXml: 'nope' })).status).toBe(404);
    expect(await snapshot(t.id)).toEqual(before);
  });

  it('a failed audit write is logged, and the answer stays the same 400', async () => {
    const domain = uniqueDomain('nolog');
    const t = await newTenant([domain]);
    const before = await snapshot(t.id);
    const db = await getDb();
    const fn = `refuse_audit_${t.id.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
    // The database refuses this tenant's audit inserts (only this tenant's: other test files share it).
    await db.execute(
      sql.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin
        if new.tenant_id = '${t.id}' then raise exception 'audit write refused for the test'; end if; return new; end $$`),
    );
    await db.execute(sql.raw(`create trigger ${fn} before insert on audit_events for each row execute function ${fn}()`));
    try {
      const res = await create(t.id, { type: 'saml', metadataXml: 'hello, not xml' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, type: 'about:blank#invalid_metadata', errors: [{ path: 'metadataXml' }] });
      // A failed domain check likewise still answers the domain, unverified.
      await expect(verifyDomain(admin, t.id, domain, async () => [])).resolves.toMatchObject({ domain, verified: false });
    } finally {
      await db.execute(sql.raw(`drop trigger ${fn} on audit_events`));
      await db.execute(sql.raw(`drop function ${fn}()`));
    }
    expect(await snapshot(t.id)).toEqual(before);
  });
});

describe('refused connection input with ALLOW_PRIVATE_URLS (a local IdP server): what the URL answered', () => {
  let server: Awaited<ReturnType<typeof startSamlIdpServer>>;
  beforeAll(async () => {
    const host = `url-${process.pid}-${Date.now().toString(36)}.example.com`;
    server = await startSamlIdpServer({ port: 0, idp: new TestSamlIdp({ entityId: `https://${host}/metadata`, ssoUrl: 'http://127.0.0.1:0/sso' }), users: [] });
    const saved = process.env.ALLOW_PRIVATE_URLS;
    process.env.ALLOW_PRIVATE_URLS = 'true';
    g.__portalEnv = undefined;
    await getDb();
    await sso();
    return async () => {
      await server.close();
      if (saved === undefined) delete process.env.ALLOW_PRIVATE_URLS;
      else process.env.ALLOW_PRIVATE_URLS = saved;
      g.__portalEnv = undefined;
    };
  });

  it.each([
    ['a URL that answers 404', '/not-here?secret=1', 'fetch_failed'],
    ['a URL that cannot be reached', null, 'fetch_failed'],
  ])('%s: 400 on metadataUrl, one failure event (%s)', async (_name, pathOrNull, reason) => {
    const t = await newTenant();
    const before = await snapshot(t.id);
    let url: string;
    if (pathOrNull) url = `${server.origin}${pathOrNull}`;
    else {
      // A port nothing listens on.
      const s = createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/metadata`;
      await new Promise<void>((r) => s.close(() => r()));
    }
    const res = await create(t.id, { type: 'saml', metadataUrl: url });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 400, type: 'about:blank#invalid_url', errors: [{ path: 'metadataUrl' }] });
    const event = await onlyNewEvent(t.id, before.events);
    expect(event).toMatchObject({ action: 'connection.create_refused', outcome: 'failure', reason });
    expect(event.details).toEqual({ type: 'saml', metadataUrl: url.replace(/\?.*$/, '') });
    expect((await snapshot(t.id)).rows).toEqual([]);
  });
});

describe('a failed domain verification is audited as domain.verification_failed', () => {
  const records = new Map<string, string[]>();
  let dns: Awaited<ReturnType<typeof startTxtDnsServer>>;
  beforeAll(async () => {
    dns = await startTxtDnsServer(records);
    process.env.DNS_SERVERS = dns.address;
    g.__portalEnv = undefined;
    await getDb();
  });
  afterAll(() => dns?.close());

  const verify = (tenantId: string, domain: string) => call(verifyRoute.POST, { method: 'POST', params: { tenantId, domain } });
  const domainRow = async (domain: string) => {
    const db = await getDb();
    return (await db.select().from(tenantDomains).where(eq(tenantDomains.domain, domain)))[0];
  };

  it('no record, then a wrong one: the same 200 answer as before, one failure event each, the domain unchanged; then verified', async () => {
    const domain = uniqueDomain('vfail');
    const t = await newTenant([domain]);
    const row = await domainRow(domain);
    const before = (await eventsOf(t.id)).map((e) => e.id);

    const missing = await verify(t.id, domain);
    expect(missing.status).toBe(200);
    expect(missing.body).toMatchObject({ domain, verified: false, trusted: true, verificationRecord: { value: row.verificationToken } });
    const first = await onlyNewEvent(t.id, before);
    expect(first).toMatchObject({
      action: 'domain.verification_failed',
      outcome: 'failure',
      reason: 'txt_record_missing',
      actorType: 'operator',
      chainKey: t.id,
      targetType: 'domain',
      targetId: domain,
    });
    expect(first.details).toEqual({ recordName: `_sso-portal-verification.${domain}`, recordsFound: 0 });
    expect(await domainRow(domain)).toEqual(row);

    records.set(`_sso-portal-verification.${domain}`, ['sso-portal-verification=not-the-token']);
    const mid = (await eventsOf(t.id)).map((e) => e.id);
    expect((await verify(t.id, domain)).body).toMatchObject({ verified: false });
    const second = await onlyNewEvent(t.id, mid);
    expect(second).toMatchObject({ action: 'domain.verification_failed', outcome: 'failure', reason: 'txt_record_mismatch' });
    expect(second.details).toEqual({ recordName: `_sso-portal-verification.${domain}`, recordsFound: 1 });
    expect(await domainRow(domain)).toEqual(row);

    records.set(`_sso-portal-verification.${domain}`, ['sso-portal-verification=not-the-token', row.verificationToken]);
    const late = (await eventsOf(t.id)).map((e) => e.id);
    expect((await verify(t.id, domain)).body).toMatchObject({ verified: true });
    expect(await onlyNewEvent(t.id, late)).toMatchObject({ action: 'domain.verified', outcome: 'success' });
    // Verified again: nothing to write.
    const done = (await eventsOf(t.id)).map((e) => e.id);
    expect((await verify(t.id, domain)).body).toMatchObject({ verified: true });
    expect((await eventsOf(t.id)).map((e) => e.id)).toEqual(done);

    const chain = await call(verifyChainRoute.GET, { params: { tenantId: t.id } });
    expect(chain.body).toMatchObject({ intact: true, checked: done.length });
  });

  it('a tenant admin’s domain whose DNS does not answer: dns_lookup_failed, with the resolver’s error code', async () => {
    const t = await newTenant();
    const domain = uniqueDomain('vdns');
    await addDomain(admin, t.id, domain);
    const row = await domainRow(domain);
    const before = (await eventsOf(t.id)).map((e) => e.id);
    // A real resolver pointed at a port nothing listens on.
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    const resolver = new Resolver({ timeout: 500, tries: 1 });
    resolver.setServers([`127.0.0.1:${port}`]);
    const result = await verifyDomain(admin, t.id, domain, (name) => resolver.resolveTxt(name));
    expect(result).toMatchObject({ verified: false });
    const event = await onlyNewEvent(t.id, before);
    expect(event).toMatchObject({ action: 'domain.verification_failed', outcome: 'failure', reason: 'dns_lookup_failed', actorType: 'admin' });
    expect(event.details).toMatchObject({ recordName: `_sso-portal-verification.${domain}`, recordsFound: 0, dnsError: expect.stringMatching(/^E[A-Z]+$/) });
    expect(await domainRow(domain)).toEqual(row);
  });

  it('an unknown domain is a 404 and writes nothing', async () => {
    const t = await newTenant();
    const before = (await eventsOf(t.id)).map((e) => e.id);
    expect((await verify(t.id, 'not-ours.example.com')).status).toBe(404);
    expect((await eventsOf(t.id)).map((e) => e.id)).toEqual(before);
  });
});
