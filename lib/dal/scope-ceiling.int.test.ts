import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { consoleScopesOf, TENANT_SCOPES } from '@/lib/auth/permissions';
import { getDb } from '@/lib/db/client';
import { scimUsers, users } from '@/lib/db/schema';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { signInUser, type IdpProfile } from '@/lib/provisioning/jit';
import { patch, scimCall } from '@/lib/testing/scim';
import { meta, samlTenant } from '@/lib/testing/sso';
import { createConnection, findConnectionById, updateConnection } from './connections';
import { putConsoleAccess } from './console-access';
import { createDirectory, deleteDirectory, rotateDirectoryToken } from './directories';
import { putRoleMapping } from './role-mappings';
import { liveSession } from './sessions';
import { signInTenant } from './sign-in';
import { setProvisioning } from './tenants';

/**
 * An admin holding some console sections may not reach the others through a source of identity
 * they set up: a SCIM directory whose users land in a group that a rule maps to an admin role, or
 * an SSO connection that says whoever they like is signing in. What such a source vouches for is
 * capped at its creator's sections, and it may not take over or change a user above them.
 */
const directoryOnly: Ctx = { actor: { type: 'admin', id: 'plk_dir', label: 'setup link' }, consoleScopes: ['directory_sync'] };
const ssoOnly: Ctx = { actor: { type: 'admin', id: 'plk_sso', label: 'setup link' }, consoleScopes: ['sso'] };
const every: Ctx = { actor: { type: 'admin', id: 'plk_all', label: 'setup link' }, consoleScopes: [...TENANT_SCOPES] };

/** A tenant whose rule maps the group "Admins" to `admin`, which opens every console section. */
async function tenant() {
  const t = await samlTenant();
  await putRoleMapping(SYSTEM, t.tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' }], defaultRole: 'member' }, 'add');
  await putConsoleAccess(SYSTEM, t.tenant.id, { roles: { admin: [...TENANT_SCOPES] } });
  return t;
}

const profile = (email: string, groups: string[]): IdpProfile => ({ subject: email, email, firstName: 'Ada', lastName: 'Lovelace', groups, attributes: {} });

async function signIn(tenantId: string, connectionId: string, email: string, groups: string[]) {
  return signInUser(meta, (await signInTenant(tenantId))!, (await findConnectionById(connectionId))!, profile(email, groups));
}

/** The console sections a session opens, as the consoles compute them at every request. */
async function sectionsOf(tenantId: string, sessionId: string) {
  const live = await liveSession(sessionId);
  if (!live) return null;
  const t = await signInTenant(tenantId);
  return consoleScopesOf(t!.consoleAccess ?? {}, live.roles, live.scopes ?? null);
}

const userByEmail = async (tenantId: string, email: string) => {
  const db = await getDb();
  const [u] = await db.select().from(users).where(and(eq(users.tenantId, tenantId), eq(users.email, email)));
  return u;
};

const scimUser = (email: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, emails: [{ value: email, primary: true }], active: true });
const scimGroup = (name: string, members: string[]) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: members.map((value) => ({ value })) });

describe('a source of identity is trusted up to the console sections of who set it up', () => {
  it('a directory made with directory_sync alone cannot lift its users into other sections', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const dir = await createDirectory(directoryOnly, t.id, { name: 'Mallory’s directory' });
    const mallory = `mallory@${domain}`;
    const created = await scimCall(dir, 'POST', '/Users', scimUser(mallory));
    expect(created.status).toBe(201);
    expect((await scimCall(dir, 'POST', '/Groups', scimGroup('Admins', [created.body.id]))).status).toBe(201);
    // The product still sees the role the mapping gives; the console opens no more than the directory's maker held.
    const s = await signIn(t.id, connection.id, mallory, []);
    expect(s.user.roles).toEqual(['admin']);
    expect(await sectionsOf(t.id, s.sessionId)).toEqual(['directory_sync']);
  });

  it('the same directory made by the operator (or an admin holding every section) grants what the rules give', async () => {
    const { tenant: t, connection, domain } = await tenant();
    for (const [ctx, who] of [[SYSTEM, 'op'], [every, 'all']] as const) {
      const dir = await createDirectory(ctx, t.id, { name: `Directory ${who}` });
      const email = `${who}@${domain}`;
      const created = await scimCall(dir, 'POST', '/Users', scimUser(email));
      expect((await scimCall(dir, 'POST', '/Groups', scimGroup('Admins', [created.body.id]))).status).toBe(201);
      const s = await signIn(t.id, connection.id, email, []);
      expect(await sectionsOf(t.id, s.sessionId)).toEqual([...TENANT_SCOPES]);
    }
  });

  it('it may not take over, change or suspend a user above its maker; nothing is written', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const ada = `ada@${domain}`;
    const admin = await signIn(t.id, connection.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, admin.sessionId)).toEqual([...TENANT_SCOPES]);
    const dir = await createDirectory(directoryOnly, t.id, { name: 'Mallory’s directory' });
    const res = await scimCall(dir, 'POST', '/Users', scimUser(ada));
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/console sections/);
    const db = await getDb();
    expect(await db.select().from(scimUsers).where(eq(scimUsers.directoryId, dir.id))).toEqual([]);
    expect(await userByEmail(t.id, ada)).toMatchObject({ status: 'active', roles: ['admin'], source: 'jit' });
    expect(await sectionsOf(t.id, admin.sessionId)).toEqual([...TENANT_SCOPES]);
  });

  it('a directory_sync admin who re-issues the token of a directory above them cannot use it on the admins it manages', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const trusted = await createDirectory(SYSTEM, t.id, { name: 'Okta' });
    const ada = `ada@${domain}`;
    const created = await scimCall(trusted, 'POST', '/Users', scimUser(ada));
    const group = await scimCall(trusted, 'POST', '/Groups', scimGroup('Admins', [created.body.id]));
    expect(group.status).toBe(201);
    const admin = await signIn(t.id, connection.id, ada, []);
    expect(await sectionsOf(t.id, admin.sessionId)).toEqual([...TENANT_SCOPES]);

    const { bearerToken } = await rotateDirectoryToken(directoryOnly, t.id, trusted.id);
    const taken = { id: trusted.id, bearerToken };
    const suspend = await scimCall(taken, 'PATCH', `/Users/${created.body.id}`, patch({ op: 'replace', path: 'active', value: false }));
    expect(suspend.status).toBe(403);
    const demote = await scimCall(taken, 'PATCH', `/Groups/${group.body.id}`, patch({ op: 'remove', path: `members[value eq "${created.body.id}"]` }));
    expect(demote.status).toBe(403);
    expect((await scimCall(taken, 'DELETE', `/Users/${created.body.id}`)).status).toBe(403);
    expect(await userByEmail(t.id, ada)).toMatchObject({ status: 'active', roles: ['admin'] });
    expect(await sectionsOf(t.id, admin.sessionId)).toEqual([...TENANT_SCOPES]);
    // Nor may they delete the directory, which would suspend its admins.
    await expect(deleteDirectory(directoryOnly, t.id, trusted.id)).rejects.toMatchObject({ status: 403 });
    expect(await userByEmail(t.id, ada)).toMatchObject({ status: 'active' });
    // Users at or below them it still manages.
    const bob = `bob@${domain}`;
    expect((await scimCall(taken, 'POST', '/Users', scimUser(bob))).status).toBe(201);
  });

  it('an SSO connection made with sso alone signs people in, but opens no more than sso in the console', async () => {
    const { tenant: t, connection: trusted, domain } = await tenant();
    const ada = `ada@${domain}`;
    const before = await signIn(t.id, trusted.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, before.sessionId)).toEqual([...TENANT_SCOPES]);

    const idp = new TestSamlIdp({ entityId: `https://evil.${domain}/metadata`, ssoUrl: `https://evil.${domain}/sso` });
    const own = await createConnection(ssoOnly, t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    // Mallory's IdP says "ada, in Admins": the session through it opens sso only …
    const forged = await signIn(t.id, own.id, ada, ['Admins']);
    expect(forged.user.roles).toEqual(['admin']);
    expect(await sectionsOf(t.id, forged.sessionId)).toEqual(['sso']);
    // … and the roles it wrote do not lift any other session of hers either.
    expect(await sectionsOf(t.id, before.sessionId)).toEqual(['sso']);
    const mallory = await signIn(t.id, own.id, `mallory@${domain}`, ['Admins']);
    expect(await sectionsOf(t.id, mallory.sessionId)).toEqual(['sso']);

    // Her next sign-in through the trusted IdP restores what the rules give.
    const again = await signIn(t.id, trusted.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, again.sessionId)).toEqual([...TENANT_SCOPES]);
    expect(await sectionsOf(t.id, before.sessionId)).toEqual([...TENANT_SCOPES]);
  });

  it('a change by a narrower admin narrows a connection; saving it as an admin holding every section lifts that', async () => {
    const { tenant: t, connection, domain } = await tenant();
    await setProvisioning(SYSTEM, t.id, { strategy: 'jit' });
    await updateConnection(ssoOnly, t.id, connection.id, { requireMfa: false });
    const ada = `ada@${domain}`;
    const narrowed = await signIn(t.id, connection.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, narrowed.sessionId)).toEqual(['sso']);
    await updateConnection(every, t.id, connection.id, { name: 'Okta (checked)' });
    const lifted = await signIn(t.id, connection.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, lifted.sessionId)).toEqual([...TENANT_SCOPES]);
  });
});
