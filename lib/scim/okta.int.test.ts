import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as directoriesRoute from '@/app/api/v1/tenants/[tenantId]/directories/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import * as roleMappingsRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, scimRequests, scimUsers, sessions, users } from '@/lib/db/schema';
import { call } from '@/lib/testing/api';
import { makeDirectory, oktaUser, patch, scimCall, scimTenant } from '@/lib/testing/scim';

const tenant = () => scimTenant('Okta');

async function portalUsers(tenantId: string) {
  const res = await call(usersRoute.GET, { path: `/api/v1/tenants/${tenantId}/users?limit=200`, params: { tenantId } });
  expect(res.status).toBe(200);
  return res.body.data as { id: string; email: string; roles: string[]; groups: string[]; status: string; source: string; firstName: string }[];
}

async function actions(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id)).map((e) => e.action);
}

describe('directories API', () => {
  it('creates a directory: 201 { id, name, scimUrl, bearerToken } once; the list has no tokens', async () => {
    const t = await tenant();
    const res = await call(directoriesRoute.POST, {
      method: 'POST',
      path: `/api/v1/tenants/${t.id}/directories`,
      params: { tenantId: t.id },
      body: { name: 'Okta', provider: 'okta' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Okta', provider: 'okta' });
    expect(res.body.id).toMatch(/^dir_/);
    expect(res.body.scimUrl).toBe(`http://localhost:3000/api/scim/v2/${res.body.id}`);
    expect(res.body.bearerToken).toMatch(/^scim_[A-Za-z0-9_-]{43}$/);
    const list = await call(directoriesRoute.GET, { path: `/api/v1/tenants/${t.id}/directories`, params: { tenantId: t.id } });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(res.body.bearerToken);
    expect(list.body.data[0]).not.toHaveProperty('bearerToken');
    expect(list.body.data[0]).toMatchObject({ id: res.body.id, scimUrl: res.body.scimUrl, tokenActive: true });
    expect(await actions(t.id)).toContain('directory.created');
    // stored as a hash only
    const db = await getDb();
    const rows = await db.execute<{ token_hash: string }>(
      // eslint-disable-next-line drizzle/enforce-delete-with-where
      (await import('drizzle-orm')).sql`select token_hash from directories where id = ${res.body.id}`,
    );
    const hash = (rows as unknown as { rows: { token_hash: string }[] }).rows[0].token_hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(res.body.bearerToken);
  });

  it.each([
    ['missing name', {}],
    ['unknown provider', { name: 'x', provider: 'ping' }],
  ])('refuses %s with 400', async (_n, body) => {
    const t = await tenant();
    const res = await call(directoriesRoute.POST, { method: 'POST', params: { tenantId: t.id }, body });
    expect(res.status).toBe(400);
  });

  it('lists directories a page at a time (limit, cursor), and refuses a bad limit', async () => {
    const t = await tenant();
    const ids: string[] = [];
    for (const name of ['A', 'B', 'C']) {
      ids.push((await call(directoriesRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { name } })).body.id);
    }
    const list = (query: string) => call(directoriesRoute.GET, { path: `/api/v1/tenants/${t.id}/directories${query}`, params: { tenantId: t.id } });
    const first = await list('?limit=2');
    expect(first.body.data.map((d: { id: string }) => d.id)).toEqual(ids.sort().slice(0, 2));
    expect(first.body.nextCursor).toBe(ids[1]);
    const second = await list(`?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toMatchObject({ data: [{ id: ids[2], userCount: 0 }], nextCursor: null });
    expect((await list('?limit=0')).status).toBe(400);
  });

  it('404s an unknown tenant', async () => {
    const res = await call(directoriesRoute.POST, { method: 'POST', params: { tenantId: 'tnt_nope' }, body: { name: 'x' } });
    expect(res.status).toBe(404);
  });
});

describe('SCIM: Okta traffic', () => {
  it('existence check, create with password and groups: [], duplicate 409, read back', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Okta', 'okta');
    const email = `ada@${t.domain}`;

    const check = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`);
    expect(check.status).toBe(200);
    expect(check.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(check.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await scimCall(dir, 'POST', '/Users', oktaUser(email));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName: email, active: true, name: { givenName: 'Ada', familyName: 'Lovelace' }, groups: [] });
    expect(created.body.id).toBeTruthy();
    expect(created.body.meta).toMatchObject({ resourceType: 'User', location: `${dir.scimUrl}/Users/${created.body.id}` });
    expect(created.headers.get('location')).toBe(`${dir.scimUrl}/Users/${created.body.id}`);
    expect(JSON.stringify(created.body)).not.toContain('Hunter2');
    expect(created.body).not.toHaveProperty('password');

    const db = await getDb();
    const [stored] = await db.select().from(scimUsers).where(eq(scimUsers.id, created.body.id));
    expect(JSON.stringify(stored)).not.toContain('Hunter2');

    // duplicate, differing only in case
    const dup = await scimCall(dir, 'POST', '/Users', oktaUser(email.toUpperCase()));
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness' });

    const found = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}&startIndex=1&count=100`);
    expect(found.body.totalResults).toBe(1);
    expect(found.body.Resources[0].id).toBe(created.body.id);
    // The attribute may carry the core schema's URN (RFC 7644 §3.10).
    const qualified = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "${email}"`)}`);
    expect(qualified.body.totalResults).toBe(1);

    const got = await scimCall(dir, 'GET', `/Users/${created.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.userName).toBe(email);

    // the portal user appears at once
    const list = await portalUsers(t.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ email, source: 'scim', status: 'active', roles: ['member'], firstName: 'Ada' });
    expect(await actions(t.id)).toContain('user.created');

    // the request log: typed outcomes, no token, no password
    const log = await db.select().from(scimRequests).where(eq(scimRequests.directoryId, dir.id));
    expect(log.map((r) => `${r.method} ${r.status} ${r.outcome}`)).toEqual(
      expect.arrayContaining(['GET 200 read', 'POST 201 created', 'POST 409 conflict']),
    );
    const text = JSON.stringify(log);
    expect(text).not.toContain(dir.bearerToken);
    expect(text).not.toContain('Hunter2');
    expect(log.find((r) => r.outcome === 'created')!.summary).toMatch(/password ignored/);
  });

  it('full-object PUT with a userName rename, then deactivation by PATCH suspends and ends sessions', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Okta', 'okta');
    const email = `bob@${t.domain}`;
    const created = (await scimCall(dir, 'POST', '/Users', oktaUser(email))).body;
    const renamed = `robert@${t.domain}`;
    const put = await scimCall(dir, 'PUT', `/Users/${created.id}`, {
      ...oktaUser(renamed, { externalId: created.externalId }),
      id: created.id,
      name: { givenName: 'Robert', familyName: 'Lovelace' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: created.id, userName: renamed, name: { givenName: 'Robert' } });
    // the old name is free, the new one is found
    expect((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).body.totalResults).toBe(0);
    expect((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${renamed}"`)}`)).body.totalResults).toBe(1);
    let [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ email: renamed, firstName: 'Robert', status: 'active' });

    // a session of the portal user ends at once on deactivation
    const db = await getDb();
    await db.insert(sessions).values({ id: `ses_test_${created.id}`, kind: 'user', subjectId: pu.id, tenantId: t.id, expiresAt: new Date(Date.now() + 3600_000) });
    const deact = await scimCall(dir, 'PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: false } }));
    expect(deact.status).toBe(200);
    expect(deact.body.active).toBe(false);
    [pu] = await portalUsers(t.id);
    expect(pu.status).toBe('suspended');
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, pu.id))).toHaveLength(0);
    expect(await actions(t.id)).toContain('user.suspended');

    // the same PATCH again (a retry) changes nothing
    const again = await scimCall(dir, 'PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: false } }));
    expect(again.status).toBe(200);
    const [{ version }] = await db.select({ version: scimUsers.version }).from(scimUsers).where(eq(scimUsers.id, created.id));
    expect(version).toBe(3);

    // reactivation lifts the SCIM suspension…
    expect((await scimCall(dir, 'PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: true } }))).status).toBe(200);
    [pu] = await portalUsers(t.id);
    expect(pu.status).toBe('active');
    // …but never an admin's
    await db.update(users).set({ status: 'suspended', suspendedBy: 'admin' }).where(eq(users.id, pu.id));
    await scimCall(dir, 'PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: false } }));
    await scimCall(dir, 'PATCH', `/Users/${created.id}`, patch({ op: 'replace', value: { active: true } }));
    const [row] = await db.select().from(users).where(eq(users.id, pu.id));
    expect(row).toMatchObject({ status: 'suspended', suspendedBy: 'admin' });
  });

  it('groups: create, rename, remove+add in one PATCH, replace members, delete — roles follow through the mapping', async () => {
    const t = await tenant();
    const mapping = await call(roleMappingsRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.id },
      body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' }, { attribute: 'groups', operator: 'contains', value: 'Editors', role: 'editor' }], defaultRole: 'viewer' },
    });
    expect(mapping.status).toBe(200);
    const dir = await makeDirectory(t.id, 'Okta', 'okta');
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map(async (n) => (await scimCall(dir, 'POST', '/Users', oktaUser(`${n}@${t.domain}`))).body));
    const roleOf = async (email: string) => (await portalUsers(t.id)).find((u) => u.email === email)!;

    const g = await scimCall(dir, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Staff', members: [{ value: a.id, display: a.userName }] });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ displayName: 'Staff', members: [{ value: a.id }] });
    expect((await roleOf(a.userName)).groups).toEqual(['Staff']);
    expect((await roleOf(a.userName)).roles).toEqual(['viewer']);

    // rename (Okta sends id and displayName in a pathless replace)
    const ren = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'replace', value: { id: g.body.id, displayName: 'Admins' } }));
    expect(ren.status).toBe(204);
    expect(await roleOf(a.userName)).toMatchObject({ groups: ['Admins'], roles: ['admin'] });
    expect(await actions(t.id)).toContain('user.roles_changed');

    // remove a, add b and c in one PATCH
    const swap = await scimCall(
      dir,
      'PATCH',
      `/Groups/${g.body.id}`,
      patch({ op: 'remove', path: `members[value eq "${a.id}"]` }, { op: 'add', path: 'members', value: [{ value: b.id, display: b.userName }, { value: c.id, display: c.userName }] }),
    );
    expect(swap.status).toBe(204);
    expect(await roleOf(a.userName)).toMatchObject({ groups: [], roles: ['viewer'] });
    expect(await roleOf(b.userName)).toMatchObject({ groups: ['Admins'], roles: ['admin'] });
    const read = await scimCall(dir, 'GET', `/Groups/${g.body.id}`);
    expect(read.body.members.map((m: { value: string }) => m.value).sort()).toEqual([b.id, c.id].sort());

    // retry of the same PATCH: idempotent
    expect((await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: [{ value: b.id }] }))).status).toBe(204);
    expect((await scimCall(dir, 'GET', `/Groups/${g.body.id}`)).body.members).toHaveLength(2);

    // replace path members
    const rep = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'replace', path: 'members', value: [{ value: a.id }] }));
    expect(rep.status).toBe(204);
    expect((await scimCall(dir, 'GET', `/Groups/${g.body.id}`)).body.members.map((m: { value: string }) => m.value)).toEqual([a.id]);
    expect((await roleOf(b.userName)).roles).toEqual(['viewer']);
    expect((await roleOf(a.userName)).roles).toEqual(['admin']);

    // the user's SCIM representation lists its groups
    const ua = await scimCall(dir, 'GET', `/Users/${a.id}`);
    expect(ua.body.groups).toEqual([expect.objectContaining({ value: g.body.id, display: 'Admins' })]);

    // duplicate group name → 409
    const dupG = await scimCall(dir, 'POST', '/Groups', { displayName: 'admins' });
    expect(dupG).toMatchObject({ status: 409, body: { scimType: 'uniqueness', status: '409' } });

    // full PUT of the group: name and members replaced
    const put = await scimCall(dir, 'PUT', `/Groups/${g.body.id}`, { displayName: 'Editors', members: [{ value: b.id }, { value: c.id }] });
    expect(put.status).toBe(200);
    expect(put.body.members.map((m: { value: string }) => m.value).sort()).toEqual([b.id, c.id].sort());
    expect(await roleOf(a.userName)).toMatchObject({ groups: [], roles: ['viewer'] });
    expect(await roleOf(c.userName)).toMatchObject({ groups: ['Editors'], roles: ['editor'] });
    // a shape outside Okta's and Entra's goes through SCIMMY's PatchOp on the whole group
    const odd = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}?excludedAttributes=members`, patch({ op: 'replace', path: 'externalId', value: 'ext-9' }, { op: 'remove', path: `members[value eq "${b.id}" or value eq "${c.id}"]` }));
    expect(odd.status).toBe(200);
    expect(odd.body).toMatchObject({ externalId: 'ext-9', displayName: 'Editors' });
    expect(odd.body).not.toHaveProperty('members');
    expect((await scimCall(dir, 'GET', `/Groups/${g.body.id}`)).body.members ?? []).toEqual([]);
    expect(await roleOf(c.userName)).toMatchObject({ groups: [], roles: ['viewer'] });
    await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'replace', value: { displayName: 'Admins', members: [{ value: a.id }] } }));
    expect(await roleOf(a.userName)).toMatchObject({ groups: ['Admins'], roles: ['admin'] });

    // delete
    const del = await scimCall(dir, 'DELETE', `/Groups/${g.body.id}`);
    expect(del.status).toBe(204);
    expect((await scimCall(dir, 'GET', `/Groups/${g.body.id}`)).status).toBe(404);
    expect(await roleOf(a.userName)).toMatchObject({ groups: [], roles: ['viewer'] });
  });

  it('DELETE /Users/{id}: 204, then 404; the portal user stays listed, suspended; a later create reactivates it', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id, 'Okta', 'okta');
    const email = `carol@${t.domain}`;
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(email))).body;
    const [before] = await portalUsers(t.id);
    const del = await scimCall(dir, 'DELETE', `/Users/${u.id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeNull();
    expect((await scimCall(dir, 'GET', `/Users/${u.id}`)).status).toBe(404);
    expect((await scimCall(dir, 'DELETE', `/Users/${u.id}`)).status).toBe(404);
    let [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ id: before.id, status: 'suspended' });
    const acts = await actions(t.id);
    expect(acts).toContain('user.deleted');
    expect(acts).toContain('user.suspended');

    const again = await scimCall(dir, 'POST', '/Users', oktaUser(email));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(u.id);
    [pu] = await portalUsers(t.id);
    expect(pu).toMatchObject({ id: before.id, status: 'active' });
    expect(await portalUsers(t.id)).toHaveLength(1);
  });

  it('a directory token reads and writes only its own directory, even in one tenant', async () => {
    const t = await tenant();
    const d1 = await makeDirectory(t.id, 'One');
    const d2 = await makeDirectory(t.id, 'Two');
    const u1 = (await scimCall(d1, 'POST', '/Users', oktaUser(`dee@${t.domain}`))).body;
    const g1 = (await scimCall(d1, 'POST', '/Groups', { displayName: 'G' })).body;
    // d2's token on d1's ids → 404, nothing changed
    expect((await scimCall(d2, 'GET', `/Users/${u1.id}`)).status).toBe(404);
    expect((await scimCall(d2, 'PATCH', `/Users/${u1.id}`, patch({ op: 'replace', value: { active: false } }))).status).toBe(404);
    expect((await scimCall(d2, 'PUT', `/Users/${u1.id}`, oktaUser(`dee@${t.domain}`))).status).toBe(404);
    expect((await scimCall(d2, 'DELETE', `/Users/${u1.id}`)).status).toBe(404);
    expect((await scimCall(d2, 'DELETE', `/Groups/${g1.id}`)).status).toBe(404);
    expect((await scimCall(d2, 'GET', '/Users')).body.totalResults).toBe(0);
    // d2 cannot put d1's user in its groups
    const g2 = (await scimCall(d2, 'POST', '/Groups', { displayName: 'G' })).body;
    const cross = await scimCall(d2, 'PATCH', `/Groups/${g2.id}`, patch({ op: 'add', path: 'members', value: [{ value: u1.id }] }));
    expect(cross).toMatchObject({ status: 400, body: { scimType: 'invalidValue' } });
    // d1's token on d2's URL → 401
    expect((await scimCall({ id: d2.id, bearerToken: d1.bearerToken }, 'GET', '/Users')).status).toBe(401);
    // the same userName may exist in both directories (one portal user per email)
    expect((await scimCall(d2, 'POST', '/Users', oktaUser(`dee@${t.domain}`))).status).toBe(201);
    expect(await portalUsers(t.id)).toHaveLength(1);
    const db = await getDb();
    const [row] = await db.select().from(scimUsers).where(and(eq(scimUsers.directoryId, d1.id), eq(scimUsers.id, u1.id)));
    expect(row.active).toBe(true);
  });
});
