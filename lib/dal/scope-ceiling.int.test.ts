import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { setInactivityPolicy, suspendInactiveUsers } from '@/lib/access-review/inactivity';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { consoleScopesOf, TENANT_SCOPES } from '@/lib/auth/permissions';
import { getDb } from '@/lib/db/client';
import { auditEvents, scimUsers, users } from '@/lib/db/schema';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { signInUser, type IdpProfile } from '@/lib/provisioning/jit';
import { patch, scimCall } from '@/lib/testing/scim';
import { meta, samlTenant } from '@/lib/testing/sso';
import { addCertificate, removeCertificate } from '@/lib/sso/saml/certificates';
import { createIdpKeyPair } from '@/lib/demo/saml-idp';
import { createConnection, findConnectionById, liftConnectionLimit, updateConnection } from './connections';
import { putConsoleAccess } from './console-access';
import { createDirectory, deleteDirectory, liftDirectoryLimit, rotateDirectoryToken } from './directories';
import { deleteUser, suspendUser } from './users';
import { putRoleMapping } from './role-mappings';
import { liveSession } from './sessions';
import { signInTenant } from './sign-in';

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

  it('a user two directories push has the narrower limit of the two', async () => {
    const { tenant: t, domain } = await tenant();
    const bob = `bob@${domain}`;
    const trusted = await createDirectory(SYSTEM, t.id, { name: 'Okta' });
    const limited = await createDirectory(directoryOnly, t.id, { name: 'Side directory' });
    expect((await scimCall(trusted, 'POST', '/Users', scimUser(bob))).status).toBe(201);
    expect(await userByEmail(t.id, bob)).toMatchObject({ scopeCeiling: null });
    expect((await scimCall(limited, 'POST', '/Users', scimUser(bob))).status).toBe(201);
    expect(await userByEmail(t.id, bob)).toMatchObject({ scopeCeiling: ['directory_sync'] });
    // A change from the trusted one keeps the narrower limit.
    const [su] = (await scimCall(trusted, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "${bob}"`)}`)).body.Resources;
    expect((await scimCall(trusted, 'PATCH', `/Users/${su.id}`, patch({ op: 'replace', path: 'displayName', value: 'Bob' }))).status).toBe(200);
    expect(await userByEmail(t.id, bob)).toMatchObject({ scopeCeiling: ['directory_sync'] });
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

  it('an SSO connection made with sso alone opens no more than sso in the console, and does not sign in anyone above that', async () => {
    const { tenant: t, connection: trusted, domain } = await tenant();
    const ada = `ada@${domain}`;
    const before = await signIn(t.id, trusted.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, before.sessionId)).toEqual([...TENANT_SCOPES]);

    const idp = new TestSamlIdp({ entityId: `https://evil.${domain}/metadata`, ssoUrl: `https://evil.${domain}/sso` });
    const own = await createConnection(ssoOnly, t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    // Mallory's IdP says "ada, in Admins": refused, and nothing of ada's changes …
    await expect(signIn(t.id, own.id, ada, ['Admins'])).rejects.toMatchObject({ reason: 'above_connection_ceiling' });
    expect(await userByEmail(t.id, ada)).toMatchObject({ roles: ['admin'], scopeCeiling: null, status: 'active' });
    expect(await sectionsOf(t.id, before.sessionId)).toEqual([...TENANT_SCOPES]);
    // … so she stays above the sso admin, who may not suspend or delete her.
    await expect(suspendUser(ssoOnly, t.id, before.user.id)).rejects.toMatchObject({ status: 403 });
    await expect(deleteUser(ssoOnly, t.id, before.user.id)).rejects.toMatchObject({ status: 403 });
    // Mallory herself, "in Admins" by her own IdP's word, opens sso only.
    const mallory = await signIn(t.id, own.id, `mallory@${domain}`, ['Admins']);
    expect(mallory.user.roles).toEqual(['admin']);
    expect(await sectionsOf(t.id, mallory.sessionId)).toEqual(['sso']);
  });

  it('a narrower admin changing how far a connection is trusted narrows it (not a rename); only an explicit lift by a holder of every section lifts it', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const ada = `ada@${domain}`;
    await updateConnection(ssoOnly, t.id, connection.id, { name: 'Okta', requireMfa: false, allowIdpInitiated: true });
    expect((await findConnectionById(connection.id))!.scopeCeiling).toBeNull();
    const admin = await signIn(t.id, connection.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, admin.sessionId)).toEqual([...TENANT_SCOPES]);

    // A signing certificate the sso admin adds could sign anyone in: the connection is limited to sso.
    const next = createIdpKeyPair({ commonName: `next.${domain}` });
    await addCertificate(ssoOnly, t.id, connection.id, { certificate: next.certPem });
    expect((await findConnectionById(connection.id))!.scopeCeiling).toEqual(['sso']);
    await expect(signIn(t.id, connection.id, ada, ['Admins'])).rejects.toMatchObject({ reason: 'above_connection_ceiling' });
    const bob = await signIn(t.id, connection.id, `bob@${domain}`, ['Admins']);
    expect(await sectionsOf(t.id, bob.sessionId)).toEqual(['sso']);
    // Saving or re-issuing as someone holding more does not lift it; neither does the narrower admin.
    await updateConnection(every, t.id, connection.id, { name: 'Okta (checked)' });
    await addCertificate(SYSTEM, t.id, connection.id, { certificate: createIdpKeyPair({ commonName: `third.${domain}` }).certPem });
    expect((await findConnectionById(connection.id))!.scopeCeiling).toEqual(['sso']);
    await expect(liftConnectionLimit(ssoOnly, t.id, connection.id)).rejects.toMatchObject({ status: 403 });
    await liftConnectionLimit(every, t.id, connection.id);
    expect((await findConnectionById(connection.id))!.scopeCeiling).toBeNull();
    const lifted = await signIn(t.id, connection.id, ada, ['Admins']);
    expect(await sectionsOf(t.id, lifted.sessionId)).toEqual([...TENANT_SCOPES]);
    // Removing a certificate lets nobody new in: it narrows nothing. (With an admin above them
    // active, the narrower admin may not remove one: it could refuse that admin's sign-ins.)
    const last = (await findConnectionById(connection.id))!.idp.certificates!.at(-1)!.fingerprintSha256;
    await expect(removeCertificate(ssoOnly, t.id, connection.id, last)).rejects.toMatchObject({ status: 403 });
    await removeCertificate(every, t.id, connection.id, last);
    expect((await findConnectionById(connection.id))!.scopeCeiling).toBeNull();
    const db = await getDb();
    const [event] = await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, t.id), eq(auditEvents.action, 'connection.limit_lifted')));
    expect(event.details).toEqual({ before: { scopeCeiling: ['sso'] }, after: { scopeCeiling: null } });
  });

  it('an inactivity policy set by a narrower admin never suspends a user above them; set by a holder of every section, it does', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const ada = await signIn(t.id, connection.id, `ada@${domain}`, ['Admins']);
    const bob = await signIn(t.id, connection.id, `bob@${domain}`, []);
    const later = new Date(Date.now() + 3 * 86_400_000);
    await setInactivityPolicy(ssoOnly, t.id, { inactivityDays: 1 });
    expect(await suspendInactiveUsers({ tenantId: t.id, now: later })).toMatchObject({ suspended: 1 });
    expect(await userByEmail(t.id, ada.user.email)).toMatchObject({ status: 'active' });
    expect(await userByEmail(t.id, bob.user.email)).toMatchObject({ status: 'suspended', suspendedBy: 'policy' });
    await setInactivityPolicy(every, t.id, { inactivityDays: 1 });
    expect(await suspendInactiveUsers({ tenantId: t.id, now: later })).toMatchObject({ suspended: 1 });
    expect(await userByEmail(t.id, ada.user.email)).toMatchObject({ status: 'suspended', suspendedBy: 'policy' });
  });

  it('a limited directory checks console access as it is now, not as it was when its token was last accepted', async () => {
    const { tenant: t, connection, domain } = await tenant();
    await putConsoleAccess(SYSTEM, t.id, { roles: { admin: ['directory_sync'] } });
    const ada = `ada@${domain}`;
    await signIn(t.id, connection.id, ada, ['Admins']);
    const dir = await createDirectory(directoryOnly, t.id, { name: 'Mallory’s directory' });
    expect((await scimCall(dir, 'POST', '/Users', scimUser(`bob@${domain}`))).status).toBe(201);
    // The operator widens what admin opens: ada is now above the directory's maker.
    await putConsoleAccess(SYSTEM, t.id, { roles: { admin: [...TENANT_SCOPES] } });
    const res = await scimCall(dir, 'POST', '/Users', { ...scimUser(ada), active: false });
    expect(res.status).toBe(403);
    expect(await userByEmail(t.id, ada)).toMatchObject({ status: 'active', source: 'jit' });
  });

  it('re-issuing a limited directory’s token does not lift its limit; an explicit lift by a holder of every section does', async () => {
    const { tenant: t, connection, domain } = await tenant();
    const dir = await createDirectory(directoryOnly, t.id, { name: 'Directory' });
    const mallory = `mallory@${domain}`;
    const created = await scimCall(dir, 'POST', '/Users', scimUser(mallory));
    expect((await scimCall(dir, 'POST', '/Groups', scimGroup('Admins', [created.body.id]))).status).toBe(201);
    const { bearerToken } = await rotateDirectoryToken(SYSTEM, t.id, dir.id);
    const reissued = { id: dir.id, bearerToken };
    expect((await scimCall(reissued, 'PATCH', `/Users/${created.body.id}`, patch({ op: 'replace', path: 'displayName', value: 'M' }))).status).toBe(200);
    const s = await signIn(t.id, connection.id, mallory, []);
    expect(await sectionsOf(t.id, s.sessionId)).toEqual(['directory_sync']);
    await expect(liftDirectoryLimit(directoryOnly, t.id, dir.id)).rejects.toMatchObject({ status: 403 });
    await liftDirectoryLimit(SYSTEM, t.id, dir.id);
    // A user it creates next has no limit, even on the one-statement path of a token it used before.
    expect((await scimCall(reissued, 'POST', '/Users', scimUser(`carol@${domain}`))).status).toBe(201);
    expect(await userByEmail(t.id, `carol@${domain}`)).toMatchObject({ scopeCeiling: null });
    // Its users follow at their next change.
    expect((await scimCall(reissued, 'PATCH', `/Users/${created.body.id}`, patch({ op: 'replace', path: 'displayName', value: 'Mallory' }))).status).toBe(200);
    expect(await sectionsOf(t.id, s.sessionId)).toEqual([...TENANT_SCOPES]);
  });
});
