import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { sessions, users } from '@/lib/db/schema';
import { SYSTEM } from '@/lib/audit/types';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { makeDirectory, oktaUser, patch, scimCall } from '@/lib/testing/scim';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';

async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}

describe('SCIM and sign-in', () => {
  it('scim strategy: only SCIM-pushed users sign in; deactivation refuses sign-in and ends sessions at once', async () => {
    const { tenant, idp, domain } = await samlTenant({ strategy: 'scim' });
    const dir = await makeDirectory(tenant.id, 'Okta', 'okta');
    const email = `pushed@${domain}`;

    const stranger = await samlSignIn(idp, `stranger@${domain}`);
    expect(stranger.callback!.status).toBe(403);
    expect(await stranger.callback!.text()).toContain('user_not_provisioned');

    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(email))).body;
    const ok = await samlSignIn(idp, email);
    expect(ok.callback!.status).toBe(303);
    let list = await usersOf(tenant.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ email, source: 'scim' });
    expect(list[0].lastLoginAt).not.toBeNull();
    const db = await getDb();
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, list[0].id))).toHaveLength(1);

    expect((await scimCall(dir, 'PATCH', `/Users/${u.id}`, patch({ op: 'Replace', path: 'active', value: 'False' }))).status).toBe(200);
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, list[0].id))).toHaveLength(0);
    const refused = await samlSignIn(idp, email);
    expect(refused.callback!.status).toBe(403);
    expect(await refused.callback!.text()).toContain('user_suspended');

    // deleted in the directory: still refused, still listed
    expect((await scimCall(dir, 'DELETE', `/Users/${u.id}`)).status).toBe(204);
    expect((await samlSignIn(idp, email)).callback!.status).toBe(403);
    list = await usersOf(tenant.id);
    expect(list).toHaveLength(1);
    expect(list[0].status).toBe('suspended');
  });

  it('jit strategy: a user first seen via SCIM and later via SSO is one user', async () => {
    const { tenant, idp, domain } = await samlTenant({ strategy: 'jit' });
    const dir = await makeDirectory(tenant.id);
    const email = `both@${domain}`;
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(email.toUpperCase()))).body;
    const [pushed] = await usersOf(tenant.id);
    expect((await samlSignIn(idp, email)).callback!.status).toBe(303);
    const after = await usersOf(tenant.id);
    expect(after).toHaveLength(1);
    expect(after[0].id).toBe(pushed.id);

    // and the other way round: JIT first, then SCIM claims the same row
    const later = `later@${domain}`;
    expect((await samlSignIn(idp, later)).callback!.status).toBe(303);
    const jitRow = (await usersOf(tenant.id)).find((x) => x.email === later)!;
    expect(jitRow.source).toBe('jit');
    expect((await scimCall(dir, 'POST', '/Users', oktaUser(later))).status).toBe(201);
    const claimed = (await usersOf(tenant.id)).find((x) => x.email === later)!;
    expect(claimed).toMatchObject({ id: jitRow.id, source: 'scim' });
    expect(await usersOf(tenant.id)).toHaveLength(2);
    void u;
  });

  it('sign-in keeps the directory’s groups of a SCIM user and re-evaluates roles over them', async () => {
    const { tenant, idp, domain } = await samlTenant({ strategy: 'scim' });
    await putRoleMapping(SYSTEM, tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' }], defaultRole: 'member' });
    const dir = await makeDirectory(tenant.id);
    const email = `grouped@${domain}`;
    const u = (await scimCall(dir, 'POST', '/Users', oktaUser(email))).body;
    const g = await scimCall(dir, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Admins', members: [{ value: u.id }] });
    expect(g.status).toBe(201);
    expect((await usersOf(tenant.id))[0]).toMatchObject({ groups: ['Admins'], roles: ['admin'] });
    // The IdP's assertion says other groups; the directory stays authoritative.
    expect((await samlSignIn(idp, email, { groups: ['Sales'] })).callback!.status).toBe(303);
    const [after] = await usersOf(tenant.id);
    expect(after).toMatchObject({ groups: ['Admins'], roles: ['admin'] });
    expect(after.lastLoginAt).not.toBeNull();
  });
});
