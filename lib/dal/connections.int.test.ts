import { X509Certificate } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as connectionsRoute from '@/app/api/v1/tenants/[tenantId]/connections/route';
import * as connectionRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import { createIdpKeyPair, startSamlIdpServer, TestSamlIdp } from '@/e2e/idp/saml-idp';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections } from '@/lib/db/schema';
import { PRODUCT } from '@/lib/sso/sp';
import { sso } from '@/lib/sso/jackson';
import { call, uniqueDomain } from '@/lib/testing/api';

const DAY = 24 * 60 * 60 * 1000;

async function newTenant() {
  const res = await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body: { name: `Conn ${uniqueDomain('t')}` } });
  expect(res.status).toBe(201);
  return res.body as { id: string; slug: string };
}

let n = 0;
/** A test IdP with an entity ID no other test uses. */
function newIdp(label = 'idp') {
  const host = `${label}-${process.pid}-${Date.now().toString(36)}-${n++}.example.com`;
  return new TestSamlIdp({ entityId: `https://${host}/metadata`, ssoUrl: `https://${host}/sso` });
}

const create = (tenantId: string, body: unknown, key?: string | null) =>
  call(connectionsRoute.POST, { method: 'POST', path: `/api/v1/tenants/${tenantId}/connections`, params: { tenantId }, body, key });
const list = (tenantId: string) => call(connectionsRoute.GET, { path: `/api/v1/tenants/${tenantId}/connections`, params: { tenantId } });
const getOne = (tenantId: string, connectionId: string) =>
  call(connectionRoute.GET, { path: `/api/v1/tenants/${tenantId}/connections/${connectionId}`, params: { tenantId, connectionId } });
const remove = (tenantId: string, connectionId: string) =>
  call(connectionRoute.DELETE, { method: 'DELETE', path: `/api/v1/tenants/${tenantId}/connections/${connectionId}`, params: { tenantId, connectionId } });

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

async function rowsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(connections).where(eq(connections.tenantId, tenantId));
}

/** The SSO library's connection records for a tenant. */
async function libraryRecordsOf(tenantId: string) {
  const { jackson } = await sso();
  return (await jackson.connectionAPIController.getConnections({ tenant: tenantId, product: PRODUCT } as never)) as { clientID: string }[];
}

const fingerprintOf = (certPem: string) => new X509Certificate(certPem).fingerprint256;
const notAfterOf = (certPem: string) => new Date(new X509Certificate(certPem).validTo).toISOString();

describe('connections API', () => {
  // Opening storage and starting the SSO library is slow: do it under the hook timeout, not a test's.
  beforeAll(async () => {
    await getDb();
    await sso();
  });

  it('creates a SAML connection from metadata XML with the contract shape and writes connection.created', async () => {
    const t = await newTenant();
    const idp = newIdp();
    const res = await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({
      type: 'saml',
      tenantId: t.id,
      allowIdpInitiated: false,
      idp: {
        entityId: idp.entityId,
        ssoUrl: idp.ssoUrl,
        certificates: [{ fingerprintSha256: fingerprintOf(idp.certPem), notAfter: notAfterOf(idp.certPem) }],
      },
    });
    expect(typeof res.body.id).toBe('string');
    expect(res.body.id.length).toBeGreaterThan(0);
    expect(res.body.idp.certificates[0].fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Object.keys(res.body.idp.certificates[0]).sort()).toEqual(['fingerprintSha256', 'notAfter']); // no PEM, no internals
    expect(new Date(res.body.createdAt).toISOString()).toBe(res.body.createdAt);
    expect(Math.abs(Date.parse(res.body.createdAt) - Date.now())).toBeLessThan(60_000);
    for (const secret of ['clientId', 'clientSecret', 'clientID', 'metadataXml', 'rawMetadata']) expect(res.body).not.toHaveProperty(secret);

    const events = await eventsOf(t.id);
    const created = events.filter((e) => e.action === 'connection.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ outcome: 'success', actorType: 'operator', targetType: 'connection', targetId: res.body.id });
    expect(created[0].details).toMatchObject({ after: { type: 'saml', allowIdpInitiated: false, idp: { entityId: idp.entityId } } });

    expect(await libraryRecordsOf(t.id)).toHaveLength(1);
  });

  it('keeps allowIdpInitiated: true', async () => {
    const t = await newTenant();
    const res = await create(t.id, { type: 'saml', metadataXml: newIdp().metadataXml(), allowIdpInitiated: true });
    expect(res.status).toBe(201);
    expect(res.body.allowIdpInitiated).toBe(true);
    expect((await getOne(t.id, res.body.id)).body.allowIdpInitiated).toBe(true);
  });

  it('lists and gets connections; another tenant cannot see them', async () => {
    const t = await newTenant();
    const other = await newTenant();
    expect((await list(t.id)).body).toEqual({ data: [], nextCursor: null });
    const a = (await create(t.id, { type: 'saml', metadataXml: newIdp('a').metadataXml() })).body;
    const b = (await create(t.id, { type: 'saml', metadataXml: newIdp('b').metadataXml(), allowIdpInitiated: true })).body;
    const o = (await create(other.id, { type: 'saml', metadataXml: newIdp('o').metadataXml() })).body;

    const l = await list(t.id);
    expect(l.status).toBe(200);
    expect(l.body.nextCursor).toBeNull();
    expect(l.body.data).toHaveLength(2);
    expect([...l.body.data].sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id))).toEqual(
      [a, b].sort((x, y) => x.id.localeCompare(y.id)),
    );

    const one = await getOne(t.id, a.id);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(a);

    // Another tenant's connection through this tenant's path: 404, never the connection.
    const foreign = await getOne(t.id, o.id);
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(foreign.body)).not.toContain(o.idp.entityId);
    expect((await remove(t.id, o.id)).status).toBe(404);
    expect((await getOne(other.id, o.id)).status).toBe(200); // still there for its owner

    expect((await getOne(t.id, 'conn_does_not_exist')).status).toBe(404);
    expect((await list('tnt_does_not_exist')).status).toBe(404);
    expect((await getOne('tnt_does_not_exist', a.id)).status).toBe(404);
  });

  it('pages the list with limit and cursor like every other list', async () => {
    const t = await newTenant();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) made.push((await create(t.id, { type: 'saml', metadataXml: newIdp(`p${i}`).metadataXml() })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await call(connectionsRoute.GET, {
        path: `/api/v1/tenants/${t.id}/connections?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        params: { tenantId: t.id },
      });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((c) => c.id));
      cursor = res.body.nextCursor;
      expect(++pages).toBeLessThan(5);
    } while (cursor);
    expect(pages).toBe(2);
    expect([...seen].sort()).toEqual([...made].sort());
    const tooMany = await call(connectionsRoute.GET, { path: `/api/v1/tenants/${t.id}/connections?limit=500`, params: { tenantId: t.id } });
    expect(tooMany.status).toBe(400);
  });

  it('deletes with 204, then 404, removes the SSO library record and writes connection.deleted', async () => {
    const t = await newTenant();
    const idp = newIdp();
    const c = (await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).body;
    expect(await libraryRecordsOf(t.id)).toHaveLength(1);
    const del = await remove(t.id, c.id);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect((await getOne(t.id, c.id)).status).toBe(404);
    expect((await remove(t.id, c.id)).status).toBe(404);
    expect((await list(t.id)).body.data).toEqual([]);
    expect(await libraryRecordsOf(t.id)).toHaveLength(0);
    const events = await eventsOf(t.id);
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'connection.created', 'connection.deleted']);
    expect(events.at(-1)).toMatchObject({ targetId: c.id, details: { before: { type: 'saml', idp: { entityId: idp.entityId } } } });

    // The IdP can be connected again once its connection is gone.
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(201);
  });

  it('answers 409 for an IdP entity ID this tenant has already connected, and stores nothing; another tenant may connect it too', async () => {
    const t = await newTenant();
    const other = await newTenant();
    const idp = newIdp();
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(201);
    const before = (await list(t.id)).body;
    const eventsBefore = (await eventsOf(t.id)).length;

    // Same entity ID, even with another key and SSO URL.
    const again = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: 'https://elsewhere.example.com/sso' });
    for (const xml of [idp.metadataXml(), again.metadataXml()]) {
      const res = await create(t.id, { type: 'saml', metadataXml: xml });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body).toMatchObject({ status: 409 });
      expect(res.body.errors[0].path).toBe('metadataXml');
    }
    expect((await list(t.id)).body).toEqual(before);
    expect(await eventsOf(t.id)).toHaveLength(eventsBefore);
    expect(await libraryRecordsOf(t.id)).toHaveLength(1);

    // Customers of one IdP product can share its entity ID (JumpCloud's default is "JumpCloud").
    const shared = await create(other.id, { type: 'saml', metadataXml: idp.metadataXml() });
    expect(shared.status).toBe(201);
    expect(shared.body).toMatchObject({ tenantId: other.id, idp: { entityId: idp.entityId } });
    expect(await libraryRecordsOf(other.id)).toHaveLength(1);
    expect(await libraryRecordsOf(t.id)).toHaveLength(1);
  });

  it('two simultaneous creates of one IdP give one connection and one 409, and the survivor keeps its SSO library record', async () => {
    const t = await newTenant();
    const idp = newIdp('race');
    const results = await Promise.all([0, 1].map(() => create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })));
    expect.soft(results.map((r) => r.status).sort(), 'statuses').toEqual([201, 409]);
    const rows = await rowsOf(t.id);
    expect(rows).toHaveLength(1);
    const { jackson } = await sso();
    expect(
      await jackson.connectionAPIController.getConnections({ clientID: rows[0].clientId } as never),
      "the stored connection's SSO library record",
    ).toHaveLength(1);
  });

  it('simultaneous creates of one IdP in several tenants give one connection each', async () => {
    const tenants = [await newTenant(), await newTenant(), await newTenant(), await newTenant()];
    const idp = newIdp('race2');
    const results = await Promise.all(tenants.map((t) => create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })));
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const t of tenants) {
      expect(await rowsOf(t.id)).toHaveLength(1);
      expect(await libraryRecordsOf(t.id)).toHaveLength(1);
    }
  });

  it.each<[string, (t: string) => unknown, string]>([
    ['no body fields', () => ({}), 'type'],
    ['type missing', () => ({ metadataXml: newIdp().metadataXml() }), 'type'],
    ['type unknown', () => ({ type: 'ldap', metadataXml: newIdp().metadataXml() }), 'type'],
    ['type not a string', () => ({ type: 1 }), 'type'],
    ['neither metadataXml nor metadataUrl', () => ({ type: 'saml' }), 'metadataXml'],
    ['both metadataXml and metadataUrl', () => ({ type: 'saml', metadataXml: newIdp().metadataXml(), metadataUrl: 'https://idp.example.com/metadata' }), 'metadataXml'],
    ['empty metadataXml', () => ({ type: 'saml', metadataXml: '' }), 'metadataXml'],
    ['metadataXml not a string', () => ({ type: 'saml', metadataXml: 42 }), 'metadataXml'],
    ['metadataXml that is not XML', () => ({ type: 'saml', metadataXml: 'hello' }), 'metadataXml'],
    ['metadataXml with a DOCTYPE', () => ({ type: 'saml', metadataXml: `<!DOCTYPE x [<!ENTITY e "e">]>${newIdp().metadataXml()}` }), 'metadataXml'],
    ['SP metadata instead of IdP metadata', () => ({ type: 'saml', metadataXml: newIdp().metadataXml().replace(/IDPSSODescriptor/g, 'SPSSODescriptor') }), 'metadataXml'],
    ['metadata without a certificate', () => ({ type: 'saml', metadataXml: newIdp().metadataXml().replace(/<md:KeyDescriptor.*<\/md:KeyDescriptor>/, '') }), 'metadataXml'],
    [
      'metadata whose only certificate expired',
      () => {
        const keyPair = createIdpKeyPair({ commonName: 'expired.example.com', notBefore: new Date(Date.now() - 30 * DAY), validDays: 1 });
        const idp = newIdp('expired');
        return { type: 'saml', metadataXml: new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, keyPair }).metadataXml() };
      },
      'metadataXml',
    ],
    ['metadataUrl to 127.0.0.1', () => ({ type: 'saml', metadataUrl: 'https://127.0.0.1:8443/metadata' }), 'metadataUrl'],
    ['metadataUrl to [::ffff:127.0.0.1]', () => ({ type: 'saml', metadataUrl: 'https://[::ffff:127.0.0.1]:8443/metadata' }), 'metadataUrl'],
    ['metadataUrl to the cloud metadata address', () => ({ type: 'saml', metadataUrl: 'https://169.254.169.254/latest/meta-data' }), 'metadataUrl'],
    ['metadataUrl over http://', () => ({ type: 'saml', metadataUrl: 'http://127.0.0.1:8080/metadata' }), 'metadataUrl'],
    ['metadataUrl not a URL', () => ({ type: 'saml', metadataUrl: 'idp metadata please' }), 'metadataUrl'],
    ['metadataUrl with a file scheme', () => ({ type: 'saml', metadataUrl: 'file:///etc/passwd' }), 'metadataUrl'],
    ['allowIdpInitiated not a boolean', () => ({ type: 'saml', metadataXml: newIdp().metadataXml(), allowIdpInitiated: 'yes' }), 'allowIdpInitiated'],
    ['OIDC without clientId', () => ({ type: 'oidc', discoveryUrl: 'https://accounts.example.com/.well-known/openid-configuration', clientSecret: 's3cret' }), 'clientId'],
    ['OIDC with an empty clientId', () => ({ type: 'oidc', discoveryUrl: 'https://accounts.example.com/.well-known/openid-configuration', clientId: ' ', clientSecret: 's3cret' }), 'clientId'],
    ['OIDC without clientSecret', () => ({ type: 'oidc', discoveryUrl: 'https://accounts.example.com/.well-known/openid-configuration', clientId: 'abc' }), 'clientSecret'],
    ['OIDC without discoveryUrl', () => ({ type: 'oidc', clientId: 'abc', clientSecret: 's3cret' }), 'discoveryUrl'],
    ['OIDC discoveryUrl to 127.0.0.1', () => ({ type: 'oidc', discoveryUrl: 'https://127.0.0.1/.well-known/openid-configuration', clientId: 'abc', clientSecret: 's3cret' }), 'discoveryUrl'],
  ])('refuses %s with 400 naming the field and stores nothing', async (_n, body, path) => {
    const t = await newTenant();
    // One existing connection, so "nothing changed" is checked against a non-empty list.
    expect((await create(t.id, { type: 'saml', metadataXml: newIdp().metadataXml() })).status).toBe(201);
    const before = (await list(t.id)).body;
    const eventsBefore = (await eventsOf(t.id)).length;

    const res = await create(t.id, body(t.id));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(typeof res.body.detail).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+/); // no stack trace
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);

    expect((await list(t.id)).body).toEqual(before);
    // Nothing but, for input the checks refused (not the schema), one connection.create_refused
    // failure event (its reasons: lib/dal/refusals.int.test.ts).
    const added = (await eventsOf(t.id)).slice(eventsBefore);
    expect(added.length).toBeLessThanOrEqual(1);
    for (const e of added) expect(e).toMatchObject({ action: 'connection.create_refused', outcome: 'failure' });
    expect(await libraryRecordsOf(t.id)).toHaveLength(1);
  });

  it('refuses malformed JSON with 400', async () => {
    const t = await newTenant();
    const res = await call(connectionsRoute.POST, {
      method: 'POST',
      params: { tenantId: t.id },
      rawBody: '{"type": "saml", ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await list(t.id)).body.data).toEqual([]);
  });

  it('answers 404 for an unknown tenant, with a valid body, and stores nothing', async () => {
    const idp = newIdp();
    const res = await create('tnt_does_not_exist', { type: 'saml', metadataXml: idp.metadataXml() });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    // The entity ID was not taken by the failed create.
    const t = await newTenant();
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(201);
  });

  it('answers 401 for a missing or wrong key and stores nothing', async () => {
    const t = await newTenant();
    const idp = newIdp();
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() }, null)).status).toBe(401);
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() }, 'wrong-key-wrong-key-wrong')).status).toBe(401);
    expect((await call(connectionsRoute.GET, { params: { tenantId: t.id }, key: null })).status).toBe(401);
    expect((await call(connectionRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, connectionId: 'x' }, key: null })).status).toBe(401);
    expect((await list(t.id)).body.data).toEqual([]);
  });
});

describe('connections API with metadataUrl (ALLOW_PRIVATE_URLS for a local IdP)', () => {
  const g = globalThis as Record<string, unknown>;
  let server: Awaited<ReturnType<typeof startSamlIdpServer>>;
  let idp: TestSamlIdp;

  beforeAll(async () => {
    const host = `url-${process.pid}-${Date.now().toString(36)}.example.com`;
    idp = new TestSamlIdp({ entityId: `https://${host}/metadata`, ssoUrl: 'http://127.0.0.1:0/sso' });
    server = await startSamlIdpServer({ port: 0, idp, users: [] });
    const saved = process.env.ALLOW_PRIVATE_URLS;
    process.env.ALLOW_PRIVATE_URLS = 'true';
    g.__portalEnv = undefined;
    return async () => {
      await server.close();
      if (saved === undefined) delete process.env.ALLOW_PRIVATE_URLS;
      else process.env.ALLOW_PRIVATE_URLS = saved;
      g.__portalEnv = undefined;
    };
  });

  it('fetches the metadata from the URL', async () => {
    const t = await newTenant();
    const res = await create(t.id, { type: 'saml', metadataUrl: server.metadataUrl });
    expect(res.status).toBe(201);
    expect(res.body.idp).toMatchObject({ entityId: idp.entityId, certificates: [{ fingerprintSha256: fingerprintOf(idp.certPem) }] });
  });

  it('names metadataUrl when the document there is not IdP metadata', async () => {
    const t = await newTenant();
    const res = await create(t.id, { type: 'saml', metadataUrl: `${server.origin}/not-here` });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('metadataUrl');
    expect((await list(t.id)).body.data).toEqual([]);
  });
});

describe('a library record left without its connection', () => {
  it('does not block adding that IdP again for good: a minute on, the next create removes it', async () => {
    const t = await newTenant();
    const idp = newIdp('orphan');
    const made = await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    expect(made.status).toBe(201);
    // The delete commits, then removing the library's record fails (a crash, a database blip).
    const { jackson } = await sso();
    const spy = vi.spyOn(jackson.connectionAPIController, 'deleteConnections').mockRejectedValueOnce(new Error('the database went away'));
    expect((await remove(t.id, made.body.id)).status).toBe(204);
    spy.mockRestore();
    // Fresh, it may be a create in progress: still refused.
    expect((await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() })).status).toBe(409);
    // A minute later it is a leftover: removed, and the IdP added again.
    const db = await getDb();
    await db.execute(sql`update sso_store_entries set created_at = created_at - interval '2 minutes', modified_at = modified_at - interval '2 minutes' where namespace = 'saml:config'`);
    const again = await create(t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    expect(again.status).toBe(201);
    expect((await list(t.id)).body.data).toHaveLength(1);
  });
});
