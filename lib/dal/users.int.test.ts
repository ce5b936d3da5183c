import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import * as userRoute from '@/app/api/v1/tenants/[tenantId]/users/[userId]/route';
import { TestSamlIdp } from '@/e2e/idp/saml-idp';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { users } from '@/lib/db/schema';
import { createConnection } from '@/lib/dal/connections';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { handleAcs, handleCallback } from '@/lib/sso/flow';
import { sp } from '@/lib/sso/sp';
import { startSsoFromRequest } from '@/lib/sso/start';
import { call, uniqueDomain } from '@/lib/testing/api';

const meta = { ip: '203.0.113.9', userAgent: 'vitest' };

type Tenant = { id: string; slug: string; domains: string[] };

async function newTenant(domains: string[] = []): Promise<Tenant> {
  const res = await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body: { name: `Users ${uniqueDomain('t')}`, domains } });
  expect(res.status).toBe(201);
  return res.body;
}

/** A tenant with a domain and a SAML connection to a test IdP. */
async function ssoTenant() {
  const domain = uniqueDomain('users');
  const tenant = await newTenant([domain]);
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
  return { tenant, idp, domain };
}

/** A whole SP-initiated sign-in: /sso → IdP → ACS → callback; expects it to succeed. */
async function signIn(idp: TestSamlIdp, email: string, attributes: Record<string, string | string[]> = {}) {
  const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}`));
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location')!);
  const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const req = idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
  const samlResponse = idp.buildResponse({
    acsUrl: sp().acsUrl,
    audience: sp().entityId,
    inResponseTo: req.id,
    nameId: email,
    attributes: { email, ...attributes },
  });
  const acs = await handleAcs(new URLSearchParams({ SAMLResponse: samlResponse, RelayState: location.searchParams.get('RelayState')! }), meta);
  expect(acs.status).toBe(303);
  const callback = await handleCallback(new URL(acs.headers.get('location')!), cookie, meta);
  expect(callback.status).toBe(303);
}

const listUsers = (tenantId: string, query = '') =>
  call(usersRoute.GET, { path: `/api/v1/tenants/${tenantId}/users${query}`, params: { tenantId } });
const getUser = (tenantId: string, userId: string) =>
  call(userRoute.GET, { path: `/api/v1/tenants/${tenantId}/users/${userId}`, params: { tenantId, userId } });

const USER_KEYS = ['createdAt', 'email', 'firstName', 'groups', 'id', 'lastLoginAt', 'lastName', 'roles', 'source', 'status', 'tenantId', 'updatedAt'];
const isIso = (s: unknown) => typeof s === 'string' && new Date(s).toISOString() === s;

describe('users API', () => {
  let ctx: Awaited<ReturnType<typeof ssoTenant>>;
  let emails: string[];

  beforeAll(async () => {
    ctx = await ssoTenant();
    await putRoleMapping(SYSTEM, ctx.tenant.id, {
      rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }],
      defaultRole: 'member',
    });
    emails = ['ada', 'grace', 'alan', 'edsger', 'barbara'].map((name) => `${name}@${ctx.domain}`);
    await signIn(ctx.idp, emails[0], { firstName: 'Ada', lastName: 'Lovelace', groups: ['Engineering', 'Everyone'] });
    for (const email of emails.slice(1)) await signIn(ctx.idp, email, { firstName: 'Someone', lastName: 'Else', groups: ['Everyone'] });
  });

  it('answers an empty list for a tenant without users', async () => {
    const t = await newTenant();
    const res = await listUsers(t.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: [], nextCursor: null });
  });

  it('lists users created by SAML sign-in with the contract shape', async () => {
    const res = await listUsers(ctx.tenant.id);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.data.map((u: { email: string }) => u.email).sort()).toEqual([...emails].sort());
    for (const u of res.body.data) {
      expect(Object.keys(u).sort()).toEqual(USER_KEYS);
      expect(u.tenantId).toBe(ctx.tenant.id);
      expect(typeof u.id).toBe('string');
      expect(u.status).toBe('active');
      expect(u.source).toBe('jit');
      expect(isIso(u.createdAt) && isIso(u.updatedAt) && isIso(u.lastLoginAt)).toBe(true);
    }
    const ada = res.body.data.find((u: { email: string }) => u.email === emails[0]);
    expect(ada).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', roles: ['editor'], groups: ['Engineering', 'Everyone'] });
    const grace = res.body.data.find((u: { email: string }) => u.email === emails[1]);
    expect(grace).toMatchObject({ roles: ['member'], groups: ['Everyone'] });

    const one = await getUser(ctx.tenant.id, ada.id);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(ada);
  });

  it('filters by ?email= case-insensitively', async () => {
    for (const q of [emails[1], emails[1].toUpperCase(), `Grace@${ctx.domain.toUpperCase()}`]) {
      const res = await listUsers(ctx.tenant.id, `?email=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      expect(res.body.data.map((u: { email: string }) => u.email), q).toEqual([emails[1]]);
      expect(res.body.nextCursor).toBeNull();
    }
    expect((await listUsers(ctx.tenant.id, `?email=${encodeURIComponent(`nobody@${ctx.domain}`)}`)).body).toEqual({ data: [], nextCursor: null });
    // A filter is an exact address, not a substring search.
    expect((await listUsers(ctx.tenant.id, `?email=${encodeURIComponent(ctx.domain)}`)).body.data).toEqual([]);
  });

  it('stores a mixed-case address so that the filter finds it', async () => {
    const email = `Mixed.Case@${ctx.domain}`;
    await signIn(ctx.idp, email);
    const res = await listUsers(ctx.tenant.id, `?email=${encodeURIComponent(email.toLowerCase())}`);
    expect(res.body.data).toHaveLength(1);
    expect(res.body.data[0].email.toLowerCase()).toBe(email.toLowerCase());
    const db = await getDb();
    await db.delete(users).where(eq(users.id, res.body.data[0].id));
  });

  it('pages with limit and cursor, each user once', async () => {
    const all = (await listUsers(ctx.tenant.id)).body.data.map((u: { id: string }) => u.id);
    expect(all).toHaveLength(emails.length);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await listUsers(
        ctx.tenant.id,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u) => u.id));
      cursor = res.body.nextCursor;
      pages++;
      expect(pages).toBeLessThan(10);
    } while (cursor);
    expect(pages).toBe(3); // 2 + 2 + 1
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);

    const exact = await listUsers(ctx.tenant.id, `?limit=${emails.length}`);
    expect(exact.body.data).toHaveLength(emails.length);
    expect(exact.body.nextCursor).toBeNull();
    expect((await listUsers(ctx.tenant.id, '?limit=200')).status).toBe(200);
    // An empty ?limit= (a form or a client that always sends it) is the default.
    const empty = await listUsers(ctx.tenant.id, '?limit=');
    expect(empty.status).toBe(200);
    expect(empty.body.data.length).toBe(Math.min(50, emails.length));
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
  ])('refuses ?%s with 400 naming the field', async (q, path) => {
    const res = await listUsers(ctx.tenant.id, `?${q}`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it("answers 404 for another tenant's user, an unknown user and an unknown tenant", async () => {
    const other = await ssoTenant();
    await signIn(other.idp, `carol@${other.domain}`);
    const [carol] = (await listUsers(other.tenant.id)).body.data;
    expect((await getUser(other.tenant.id, carol.id)).status).toBe(200);

    const foreign = await getUser(ctx.tenant.id, carol.id);
    expect(foreign.status).toBe(404);
    expect(foreign.headers.get('content-type')).toBe('application/problem+json');
    expect(JSON.stringify(foreign.body)).not.toContain(carol.email);
    // Nor does the list or the filter of one tenant show another's users.
    expect((await listUsers(ctx.tenant.id, `?email=${encodeURIComponent(carol.email)}`)).body.data).toEqual([]);
    expect((await listUsers(other.tenant.id)).body.data.map((u: { email: string }) => u.email)).toEqual([carol.email]);

    expect((await getUser(ctx.tenant.id, 'usr_does_not_exist')).status).toBe(404);
    expect((await listUsers('tnt_does_not_exist')).status).toBe(404);
    expect((await getUser('tnt_does_not_exist', carol.id)).status).toBe(404);
  });

  it('answers 401 without a key', async () => {
    expect((await call(usersRoute.GET, { params: { tenantId: ctx.tenant.id }, key: null })).status).toBe(401);
    expect((await call(userRoute.GET, { params: { tenantId: ctx.tenant.id, userId: 'x' }, key: 'wrong-key-wrong-key-wrong' })).status).toBe(401);
  });
});
