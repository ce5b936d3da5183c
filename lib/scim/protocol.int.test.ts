import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as tokenRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/token/route';
import * as requestsRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/requests/route';
import * as dirUsersRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/users/route';
import * as dirGroupsRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/groups/route';
import * as directoryRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import * as roleMappingsRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, scimGroupMembers, scimGroups, scimRequests, scimUsers, sessions, users } from '@/lib/db/schema';
import { call } from '@/lib/testing/api';
import { makeDirectory, oktaUser, patch, scimCall, scimTenant } from '@/lib/testing/scim';
import { pruneRequestLog } from './log';

const tenant = () => scimTenant('SCIM');

/** Rows of everything SCIM can write (for "nothing written" checks). */
async function snapshot(tenantId: string) {
  const db = await getDb();
  const n = async (q: Promise<{ n: number }[]>) => Number((await q)[0].n);
  return {
    scimUsers: await n(db.select({ n: count() }).from(scimUsers).where(eq(scimUsers.tenantId, tenantId))),
    scimGroups: await n(db.select({ n: count() }).from(scimGroups).where(eq(scimGroups.tenantId, tenantId))),
    members: await n(db.select({ n: count() }).from(scimGroupMembers)),
    users: await n(db.select({ n: count() }).from(users).where(eq(users.tenantId, tenantId))),
    userVersions: JSON.stringify(await db.select({ v: scimUsers.version, a: scimUsers.active }).from(scimUsers).where(eq(scimUsers.tenantId, tenantId)).orderBy(scimUsers.id)),
  };
}

const isScimError = (body: any, status: number, scimType?: string) => {
  expect(body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
  expect(body.status).toBe(String(status));
  if (scimType) expect(body.scimType).toBe(scimType);
  expect(typeof body.detail).toBe('string');
};

describe('SCIM: bad input is refused and writes nothing', () => {
  it('wrong or missing token → 401 touching nothing; a scim.request_rejected event; revoked and rotated tokens', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    await scimCall(dir, 'POST', '/Users', oktaUser(`x@${t.domain}`));
    const before = await snapshot(t.id);
    for (const token of [null, 'wrong', `${dir.bearerToken}x`, dir.bearerToken.slice(0, -1)]) {
      for (const [m, p, b] of [
        ['GET', '/Users', undefined],
        ['POST', '/Users', oktaUser(`y@${t.domain}`)],
        ['GET', '/ServiceProviderConfig', undefined],
      ] as const) {
        const r = await scimCall(dir, m, p, b, { token });
        expect(r.status).toBe(401);
        isScimError(r.body, 401);
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    expect(await snapshot(t.id)).toEqual(before);
    const db = await getDb();
    const rejected = await db.select().from(auditEvents).where(eq(auditEvents.action, 'scim.request_rejected'));
    // at most one audit event per directory and minute; every rejection is in the request log
    expect(rejected.filter((e) => e.tenantId === t.id)).toHaveLength(1);
    expect(rejected.find((e) => e.tenantId === t.id)).toMatchObject({ outcome: 'failure', targetId: dir.id, reason: 'missing_token' });
    const params = { tenantId: t.id, directoryId: dir.id };
    const unauthorized = await call(requestsRoute.GET, { path: '/x?status=401&limit=200', params });
    expect(unauthorized.body.data).toHaveLength(12);
    expect(JSON.stringify(unauthorized.body)).not.toContain(dir.bearerToken);

    // unknown directory → 401 too (no hint whether it exists)
    expect((await scimCall({ id: 'dir_nope', bearerToken: dir.bearerToken }, 'GET', '/Users')).status).toBe(401);

    // rotate: the old token stops at once, the new one works
    const rot = await call(tokenRoute.POST, { method: 'POST', params: { tenantId: t.id, directoryId: dir.id } });
    expect(rot.status).toBe(201);
    expect((await scimCall(dir, 'GET', '/Users')).status).toBe(401);
    expect((await scimCall({ id: dir.id, bearerToken: rot.body.bearerToken }, 'GET', '/Users')).status).toBe(200);
    // revoke: nothing works
    const rev = await call(tokenRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, directoryId: dir.id } });
    expect(rev.status).toBe(200);
    expect(rev.body.tokenActive).toBe(false);
    expect((await scimCall({ id: dir.id, bearerToken: rot.body.bearerToken }, 'GET', '/Users')).status).toBe(401);
  });

  it.each([
    ['malformed JSON', 'POST', '/Users', { rawBody: '{"userName": ' }, 400, 'invalidSyntax'],
    ['empty body', 'POST', '/Users', { rawBody: '' }, 400, 'invalidSyntax'],
    ['a JSON array', 'POST', '/Users', { rawBody: '[]' }, 400, 'invalidSyntax'],
    ['missing userName', 'POST', '/Users', { body: { name: { givenName: 'x' } } }, 400, 'invalidValue'],
    ['blank userName', 'POST', '/Users', { body: { userName: '   ' } }, 400, 'invalidValue'],
    ['userName not a string', 'POST', '/Users', { body: { userName: 42 } }, 400, 'invalidValue'],
    ['a foreign schema', 'POST', '/Users', { body: { schemas: ['urn:example:Thing'], userName: 'z' } }, 400, 'invalidSyntax'],
    ['a group without displayName', 'POST', '/Groups', { body: { members: [] } }, 400, 'invalidValue'],
    ['a group with an unknown member', 'POST', '/Groups', { body: { displayName: 'X', members: [{ value: 'scu_nope' }] } }, 400, 'invalidValue'],
    ['a bad filter', 'GET', '/Users?filter=userName%20zz%20%22a%22', {}, 400, 'invalidFilter'],
    ['a filter that is one word', 'GET', '/Users?filter=garbage', {}, 400, 'invalidFilter'],
    ['a filter that is a quoted value', 'GET', '/Users?filter=%22x%22', {}, 400, 'invalidFilter'],
  ] as const)('%s → %i %s', async (_n, method, path, opts, status, scimType) => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const before = await snapshot(t.id);
    const r = await scimCall(dir, method, path, 'body' in opts ? opts.body : undefined, 'rawBody' in opts ? { rawBody: opts.rawBody } : {});
    expect(r.status).toBe(status);
    isScimError(r.body, status, scimType);
    // The reason is about the request, never a crash's words from inside the parser.
    expect(r.body.detail).not.toMatch(/Cannot read|undefined|is not a function/);
    expect(await snapshot(t.id)).toEqual(before);
  });

  it.each([
    ['missing Operations', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }, 'invalidValue'],
    ['Operations not a list', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: { op: 'add' } }, 'invalidValue'],
    ['an unknown op', patch({ op: 'frobnicate', path: 'active', value: false }), 'invalidSyntax'],
    ['an op that is not an object', patch('replace'), 'invalidValue'],
    ['add without value', patch({ op: 'add', path: 'displayName' }), 'invalidValue'],
    ['remove without path', patch({ op: 'remove' }), 'noTarget'],
    ['an unknown path', patch({ op: 'replace', path: 'shoeSize', value: 44 }), 'invalidPath'],
    ['a wrong type', patch({ op: 'replace', path: 'active', value: 'maybe' }), 'invalidValue'],
    ['a later op failing after an earlier one', patch({ op: 'replace', path: 'active', value: false }, { op: 'zap' }), 'invalidSyntax'],
  ] as const)('PATCH with %s → 400 %s, user unchanged', async (_n, body, scimType) => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(`p@${t.domain}`))).body;
    const g = (await scimCall(dir, 'POST', '/Groups', { displayName: 'G', members: [{ value: u.id }] })).body;
    const before = await snapshot(t.id);
    const r = await scimCall(dir, 'PATCH', `/Users/${u.id}`, body);
    expect(r.status).toBe(400);
    isScimError(r.body, 400, scimType);
    if (!String(_n).includes('path') && !String(_n).includes('type')) {
      const rg = await scimCall(dir, 'PATCH', `/Groups/${g.id}`, body);
      expect(rg.status).toBe(400);
    }
    expect(await snapshot(t.id)).toEqual(before);
  });

  it('a lone UTF-16 surrogate anywhere in a body, or a date outside years 1–9999 in a filter → 400 with the reason, never a 500; writes nothing', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(`s@${t.domain}`))).body;
    const g = (await scimCall(dir, 'POST', '/Groups', { displayName: 'G1' })).body;
    const before = await snapshot(t.id);
    for (const [m, p, raw] of [
      ['POST', '/Users', `{"userName":"s1@${t.domain}","displayName":"\\ud800"}`],
      ['POST', '/Users', `{"userName":"s2","name":{"givenName":"x\\udc00"}}`],
      ['PATCH', `/Users/${u.id}`, `{"Operations":[{"op":"replace","path":"title","value":"\\udc00x"}]}`],
      ['POST', '/Groups', `{"displayName":"\\ud800"}`],
      ['PATCH', `/Groups/${g.id}`, `{"Operations":[{"op":"replace","path":"externalId","value":"\\ud800"}]}`],
      ['POST', '/Users', `{"userName":"s3@${t.domain}","\\ud800":"x"}`],
    ] as const) {
      const r = await scimCall(dir, m, p, undefined, { rawBody: raw });
      expect(r.status, `${m} ${p} ${raw}: ${JSON.stringify(r.body)}`).toBe(400);
      isScimError(r.body, 400, 'invalidValue');
      expect(r.body.detail).toMatch(/lone surrogate/);
    }
    for (const d of ['10000-01-01', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z']) {
      for (const kind of ['Users', 'Groups']) {
        const r = await scimCall(dir, 'GET', `/${kind}?filter=${encodeURIComponent(`meta.lastModified gt "${d}"`)}`);
        expect(r.status, `${kind} ${d}: ${JSON.stringify(r.body)}`).toBe(400);
        isScimError(r.body, 400, 'invalidFilter');
      }
    }
    expect((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent('meta.lastModified gt "2001-01-01T00:00:00Z"')}`)).status).toBe(200);
    expect(await snapshot(t.id)).toEqual(before);
  });

  it('a token sent in the query string (refused: 401) is kept in neither the request log nor the audit log', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const r = await scimCall(dir, 'GET', `/Users?access_token=${dir.bearerToken}&filter=${encodeURIComponent('userName eq "a"')}&Token=x${dir.bearerToken}`, undefined, { token: null });
    expect(r.status).toBe(401);
    const db = await getDb();
    const logged = await db.select().from(scimRequests).where(eq(scimRequests.directoryId, dir.id));
    const events = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, t.id));
    expect(logged.length).toBeGreaterThan(0);
    expect(JSON.stringify([logged, events])).not.toContain(dir.bearerToken);
    // What the client sent is still recognisable.
    expect(logged.map((l) => l.path).join(' ')).toMatch(/access_token=\[redacted\].*filter=/);
  });

  it('unknown ids → 404; a body over 1 MiB → 413; unknown endpoints → 404; writes nothing', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const before = await snapshot(t.id);
    for (const [m, p, b] of [
      ['GET', '/Users/scu_nope', undefined],
      ['PUT', '/Users/scu_nope', oktaUser(`n@${t.domain}`)],
      ['PATCH', '/Users/scu_nope', patch({ op: 'replace', value: { active: false } })],
      ['DELETE', '/Users/scu_nope', undefined],
      ['GET', '/Groups/scg_nope', undefined],
      ['PATCH', '/Groups/scg_nope', patch({ op: 'add', path: 'members', value: [] })],
      ['DELETE', '/Groups/scg_nope', undefined],
      ['GET', '/Widgets', undefined],
      ['GET', '', undefined],
    ] as const) {
      const r = await scimCall(dir, m, p, b);
      expect(r.status, `${m} ${p}`).toBe(404);
      isScimError(r.body, 404);
    }
    const big = await scimCall(dir, 'POST', '/Users', { ...oktaUser(`big@${t.domain}`), nickName: 'x'.repeat(1024 * 1024 + 1) });
    expect(big.status).toBe(413);
    isScimError(big.body, 413);
    expect(await snapshot(t.id)).toEqual(before);
  });
});

describe('SCIM: discovery and the operator views', () => {
  it('serves ServiceProviderConfig, ResourceTypes and Schemas', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const spc = await scimCall(dir, 'GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 500 },
      authenticationSchemes: [expect.objectContaining({ type: 'oauthbearertoken' })],
    });
    const rts = await scimCall(dir, 'GET', '/ResourceTypes');
    expect(rts.body.Resources.map((r: { name: string }) => r.name).sort()).toEqual(['Group', 'User']);
    const user = rts.body.Resources.find((r: { name: string }) => r.name === 'User');
    expect(user).toMatchObject({ endpoint: '/Users', schemaExtensions: [{ schema: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', required: false }] });
    expect(user.meta.location).toBe(`${dir.scimUrl}/ResourceTypes/User`);
    const schemas = await scimCall(dir, 'GET', '/Schemas');
    expect(schemas.body.Resources.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining(['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:core:2.0:Group', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User']),
    );
    const one = await scimCall(dir, 'GET', '/Schemas/urn:ietf:params:scim:schemas:core:2.0:User');
    expect(one.status).toBe(200);
    expect(one.body.id).toBe('urn:ietf:params:scim:schemas:core:2.0:User');
  });

  it('pages with startIndex/count and answers POST /.search', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    for (let i = 0; i < 7; i++) expect((await scimCall(dir, 'POST', '/Users', oktaUser(`page${i}@${t.domain}`))).status).toBe(201);
    const p1 = await scimCall(dir, 'GET', '/Users?startIndex=1&count=3');
    expect(p1.body).toMatchObject({ totalResults: 7, startIndex: 1, itemsPerPage: 3 });
    const p3 = await scimCall(dir, 'GET', '/Users?startIndex=7&count=3');
    expect(p3.body).toMatchObject({ totalResults: 7, startIndex: 7, itemsPerPage: 1 });
    const all = [...p1.body.Resources, ...(await scimCall(dir, 'GET', '/Users?startIndex=4&count=3')).body.Resources, ...p3.body.Resources];
    expect(new Set(all.map((u: { id: string }) => u.id)).size).toBe(7);
    const zero = await scimCall(dir, 'GET', '/Users?count=0');
    expect(zero.body).toMatchObject({ totalResults: 7, itemsPerPage: 0, Resources: [] });
    const search = await scimCall(dir, 'POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: `userName sw "page1"`,
      attributes: ['userName'],
    });
    expect(search.status).toBe(200);
    expect(search.body.Resources).toEqual([{ id: expect.any(String), userName: `page1@${t.domain}` }]);
    // a filter SQL cannot express is still answered (in memory)
    const odd = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent('phoneNumbers np and userName sw "page2"')}`);
    expect(odd.status).toBe(200);
    expect(odd.body.totalResults).toBe(1);
  });

  it('the operator API lists the request log (filter by status), SCIM users and groups; users show source scim', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(`log@${t.domain}`))).body;
    await scimCall(dir, 'POST', '/Groups', { displayName: 'Loggers', members: [{ value: u.id }] });
    await scimCall(dir, 'GET', '/Users/scu_missing');
    await scimCall(dir, 'GET', '/Users', undefined, { token: 'bad' });
    const params = { tenantId: t.id, directoryId: dir.id };
    const all = await call(requestsRoute.GET, { path: '/x', params });
    expect(all.status).toBe(200);
    expect(all.body.data.map((r: { status: number }) => r.status)).toEqual([401, 404, 201, 201]);
    expect(all.body.data[2]).toMatchObject({ method: 'POST', path: '/Groups', outcome: 'created', summary: expect.stringContaining('Loggers') });
    const fours = await call(requestsRoute.GET, { path: '/x?status=4xx', params });
    expect(fours.body.data.map((r: { outcome: string }) => r.outcome)).toEqual(['unauthorized', 'not_found']);
    const exact = await call(requestsRoute.GET, { path: '/x?status=404', params });
    expect(exact.body.data).toHaveLength(1);
    expect((await call(requestsRoute.GET, { path: '/x?status=abc', params })).status).toBe(400);

    const su = await call(dirUsersRoute.GET, { path: '/x', params });
    expect(su.body.data).toEqual([expect.objectContaining({ id: u.id, userName: `log@${t.domain}`, email: `log@${t.domain}`, groups: ['Loggers'], active: true })]);
    const sg = await call(dirGroupsRoute.GET, { path: '/x', params });
    expect(sg.body.data).toEqual([expect.objectContaining({ displayName: 'Loggers', memberCount: 1 })]);
    const pu = await call(usersRoute.GET, { path: '/x', params: { tenantId: t.id } });
    expect(pu.body.data[0]).toMatchObject({ email: `log@${t.domain}`, source: 'scim', groups: ['Loggers'] });
    const one = await call(directoryRoute.GET, { path: '/x', params });
    expect(one.body).toMatchObject({ id: dir.id, userCount: 1, groupCount: 1, tokenActive: true });
    expect((await call(directoryRoute.GET, { path: '/x', params: { tenantId: t.id, directoryId: 'dir_nope' } })).status).toBe(404);
  });

  it('the request log keeps the newest rows when pruned', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    for (let i = 0; i < 6; i++) await scimCall(dir, 'GET', `/Users?startIndex=${i + 1}`);
    const db = await getDb();
    await pruneRequestLog(db, dir.id, 4);
    const left = await db.select().from(scimRequests).where(eq(scimRequests.directoryId, dir.id)).orderBy(scimRequests.id);
    expect(left.map((r) => r.path)).toEqual([3, 4, 5, 6].map((i) => `/Users?startIndex=${i}`));
    await pruneRequestLog(db, dir.id, 10);
    expect(await db.select().from(scimRequests).where(eq(scimRequests.directoryId, dir.id))).toHaveLength(4);
  });

  it('deleting a directory removes its SCIM data and suspends its portal users', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    await scimCall(dir, 'POST', '/Users', oktaUser(`gone@${t.domain}`));
    const params = { tenantId: t.id, directoryId: dir.id };
    expect((await call(directoryRoute.DELETE, { method: 'DELETE', params })).status).toBe(204);
    expect((await scimCall(dir, 'GET', '/Users')).status).toBe(401);
    const pu = await call(usersRoute.GET, { path: '/x', params: { tenantId: t.id } });
    expect(pu.body.data[0]).toMatchObject({ email: `gone@${t.domain}`, status: 'suspended' });
    expect((await snapshot(t.id)).scimUsers).toBe(0);
  });

  it('deleting one of two directories: a user only it pushed is suspended and signed out; one the other pushes too loses what the deleted one gave (groups, roles) and stays signed in', async () => {
    const t = await tenant();
    const a = await makeDirectory(t.id, 'A');
    const b = await makeDirectory(t.id, 'B');
    const put = await call(roleMappingsRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'FromA', role: 'editor' }], defaultRole: 'member' } });
    expect(put.status).toBe(200);
    const [x, y] = [`x@${t.domain}`, `y@${t.domain}`];
    const xa = await scimCall(a, 'POST', '/Users', oktaUser(x));
    const ya = await scimCall(a, 'POST', '/Users', oktaUser(y));
    expect((await scimCall(b, 'POST', '/Users', oktaUser(y))).status).toBe(201);
    expect((await scimCall(a, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'FromA', members: [{ value: xa.body.id }, { value: ya.body.id }] })).status).toBe(201);
    const db = await getDb();
    const byEmail = async (email: string) => (await db.select().from(users).where(and(eq(users.tenantId, t.id), eq(users.email, email))))[0];
    expect(await byEmail(y)).toMatchObject({ groups: ['FromA'], roles: ['editor'] });
    const expires = new Date(Date.now() + 3_600_000);
    for (const email of [x, y]) await db.insert(sessions).values({ id: `ses_${email.split('@')[0]}_${t.id}`, kind: 'user', subjectId: (await byEmail(email)).id, tenantId: t.id, expiresAt: expires });

    expect((await call(directoryRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, directoryId: a.id } })).status).toBe(204);
    expect(await byEmail(x)).toMatchObject({ status: 'suspended' });
    expect(await byEmail(y)).toMatchObject({ status: 'active', groups: [], roles: ['member'] });
    const left = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.tenantId, t.id));
    expect(left.map((r) => r.id)).toEqual([`ses_y_${t.id}`]);
    const yEvents = await db.select({ action: auditEvents.action, reason: auditEvents.reason }).from(auditEvents).where(and(eq(auditEvents.tenantId, t.id), eq(auditEvents.targetId, (await byEmail(y)).id))).orderBy(auditEvents.id);
    expect(yEvents.slice(-2)).toEqual([{ action: 'user.updated', reason: null }, { action: 'user.roles_changed', reason: null }]);
  });
});
