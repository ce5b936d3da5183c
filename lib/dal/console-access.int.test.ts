import { X509Certificate } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as accessRoute from '@/app/api/v1/tenants/[tenantId]/console-access/route';
import type { Ctx } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { newId } from '@/lib/ids';
import { getSignInPolicy, putSignInPolicy } from '@/lib/policies/store';
import { deleteUser, reactivateUser, suspendUser, suspendUsers } from './users';
import { call, uniqueDomain } from '@/lib/testing/api';
import { putConsoleAccess } from './console-access';
import { putRoleMapping } from './role-mappings';
import { setProvisioning } from './tenants';
import { createConnection, deleteConnection, updateConnection } from './connections';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { addCertificate, removeCertificate } from '@/lib/sso/saml/certificates';

const operator: Ctx = { actor: { type: 'operator', id: 'op_test', label: 'op' } };
/** A setup link scoped to role mappings, as ctxOf() builds it in the console. */
const mappingsOnly: Ctx = { actor: { type: 'admin', id: 'plk_test', label: 'setup link' }, consoleScopes: ['role_mappings'] };
const everySection: Ctx = { actor: { type: 'admin', id: 'plk_all', label: 'setup link' }, consoleScopes: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'] };

async function newTenant(): Promise<{ id: string }> {
  const res = await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body: { name: `Console ${uniqueDomain('c')}` } });
  expect(res.status).toBe(201);
  return res.body;
}
const get = (tenantId: string) => call(accessRoute.GET, { params: { tenantId } });
const put = (tenantId: string, body: unknown) => call(accessRoute.PUT, { method: 'PUT', params: { tenantId }, body });

describe('console access', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('is empty by default; PUT stores it as sent, records console_access.updated, and GET returns it', async () => {
    const t = await newTenant();
    expect(await get(t.id)).toMatchObject({ status: 200, body: { roles: {} } });
    const res = await put(t.id, { roles: { viewer: [], admin: ['sso', 'audit_log'], 'it-ops': ['domains'] } });
    expect(res.status).toBe(200);
    // The setting exactly as sent: scopes in their order, a role without scopes kept (it opens nothing).
    expect(res.body).toEqual({ roles: { viewer: [], admin: ['sso', 'audit_log'], 'it-ops': ['domains'] } });
    expect((await get(t.id)).body).toEqual(res.body);
    const db = await getDb();
    const events = (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, t.id))).filter((e) => e.action === 'console_access.updated');
    expect(events).toHaveLength(1);
    expect(events[0].details).toEqual({ before: { roles: {} }, after: { roles: { admin: ['audit_log', 'sso'], 'it-ops': ['domains'] } } });
    // The same setting again changes nothing and records nothing.
    await put(t.id, { roles: { 'it-ops': ['domains'], admin: ['sso', 'audit_log'] } });
    expect((await db.select().from(auditEvents).where(eq(auditEvents.tenantId, t.id))).filter((e) => e.action === 'console_access.updated')).toHaveLength(1);
  });

  it.each([
    ['an unknown scope', { roles: { admin: ['everything'] } }, 'roles.admin.0', 'must be one of'],
    ['a repeated scope', { roles: { admin: ['sso', 'sso'] } }, 'roles.admin', 'must not repeat'],
    ['a role name with a space', { roles: { 'it admin': ['sso'] } }, 'roles.it admin', 'must be a role name'],
    ['not an object', { roles: ['admin'] }, 'roles', 'must be an object'],
    ['an extra field', { roles: {}, admins: [] }, 'admins', ''],
  ])('refuses %s with a 400 naming the field and why, storing nothing', async (_n, body, path, why) => {
    const t = await newTenant();
    const res = await put(t.id, body);
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path, message: expect.stringContaining(why) });
    expect((await get(t.id)).body).toEqual({ roles: {} });
  });

  it('answers 404 for an unknown tenant and 401 without a key', async () => {
    expect((await get('tnt_nope')).status).toBe(404);
    expect((await put('tnt_nope', { roles: {} })).status).toBe(404);
    expect((await call(accessRoute.GET, { params: { tenantId: 'tnt_nope' }, key: null })).status).toBe(401);
  });

  it('only a holder of every section changes it from the console', async () => {
    const t = await newTenant();
    await expect(putConsoleAccess(mappingsOnly, t.id, { roles: { admin: ['role_mappings'] } })).rejects.toMatchObject({ status: 403 });
    expect((await get(t.id)).body).toEqual({ roles: {} });
    await expect(putConsoleAccess(everySection, t.id, { roles: { admin: ['sso'] } })).resolves.toEqual({ roles: { admin: ['sso'] } });
  });

  it('a scoped admin may not give users, by a new rule, a role that opens sections they lack', async () => {
    const t = await newTenant();
    const everyone = { attribute: 'email', operator: 'matches' as const, value: '.*', role: 'admin' };
    // While admin opens nothing, mapping everyone to it grants no console section.
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [everyone] })).resolves.toMatchObject({ rules: [everyone] });
    await putRoleMapping(operator, t.id, { rules: [] });
    await putConsoleAccess(operator, t.id, { roles: { admin: ['sso', 'role_mappings'], editor: ['role_mappings'] } });
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [everyone] })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'rules.0.role', message: expect.stringContaining('(sso)') }],
    });
    // A role within what they hold is fine; so is a rule the operator made and they leave untouched.
    const editors = { attribute: 'groups', operator: 'contains' as const, value: 'Eng', role: 'editor' };
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [editors] })).resolves.toBeTruthy();
    const itAdmins = { attribute: 'groups', operator: 'contains' as const, value: 'IT', role: 'admin' };
    await putRoleMapping(operator, t.id, { rules: [itAdmins, editors] });
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [editors, itAdmins] })).resolves.toBeTruthy();
    // Changing that rule's condition is a new grant: refused.
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [{ ...itAdmins, value: 'Everyone' }, editors] })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'rules.0.role' }],
    });
    // Nor through the default role (role mappings or provisioning).
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [editors, itAdmins], defaultRole: 'admin' })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'defaultRole' }],
    });
    await expect(setProvisioning({ ...mappingsOnly, consoleScopes: ['sso'] }, t.id, { strategy: 'jit', defaultRole: 'admin' })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'defaultRole', message: expect.stringContaining('(role_mappings)') }],
    });
    // The operator may.
    await expect(setProvisioning(operator, t.id, { strategy: 'jit', defaultRole: 'admin' })).resolves.toMatchObject({ defaultRole: 'admin' });
  });
  it('a scoped admin may not send users to a default role that opens sections they lack, by removing or narrowing the rule that kept them from it', async () => {
    const t = await newTenant();
    const contractors = { attribute: 'groups', operator: 'contains' as const, value: 'Contractors', role: 'guest' };
    await putConsoleAccess(operator, t.id, { roles: { staff: ['audit_log'] } });
    await putRoleMapping(operator, t.id, { rules: [contractors], defaultRole: 'staff' }, 'add');
    // Without the rule, contractors fall to the default role, which opens the audit log.
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [] })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'rules', message: expect.stringContaining('(audit_log)') }],
    });
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [{ ...contractors, value: 'Nobody' }] })).rejects.toMatchObject({ status: 403, errors: [{ path: 'rules' }] });
    // Adding a rule takes users away from the default role, and so the audit log from them: refused too.
    const eng = { attribute: 'groups', operator: 'contains' as const, value: 'Eng', role: 'guest' };
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [contractors, eng] })).rejects.toMatchObject({ status: 403, errors: [{ path: 'rules' }] });
    // The same changes by one who holds the audit log are fine.
    const auditToo = { ...mappingsOnly, consoleScopes: ['role_mappings', 'audit_log'] };
    await expect(putRoleMapping(auditToo, t.id, { rules: [contractors, eng] })).resolves.toMatchObject({ rules: [contractors, eng] });
    await expect(putRoleMapping(auditToo, t.id, { rules: [] })).resolves.toMatchObject({ rules: [] });
  });

  it('a scoped admin may not take from users a role that opens sections they lack: by removing or changing its rule, or moving the default role away from it', async () => {
    const t = await newTenant();
    const admins = { attribute: 'groups', operator: 'contains' as const, value: 'Admins', role: 'admin' };
    const eng = { attribute: 'groups', operator: 'contains' as const, value: 'Eng', role: 'editor' };
    await putConsoleAccess(operator, t.id, { roles: { admin: ['sso', 'audit_log', 'role_mappings'] } });
    await putRoleMapping(operator, t.id, { rules: [admins, eng], defaultRole: 'member' }, 'add');
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [eng] })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'rules', message: expect.stringContaining('(sso, audit_log)') }],
    });
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [{ ...admins, value: 'Nobody' }, eng] })).rejects.toMatchObject({ status: 403, errors: [{ path: 'rules.0.role' }] });
    // Rules that give roles opening nothing they lack stay theirs to change.
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [admins] })).resolves.toMatchObject({ rules: [admins] });
    // The default role.
    await putRoleMapping(operator, t.id, { rules: [], defaultRole: 'admin' }, 'add');
    await expect(putRoleMapping(mappingsOnly, t.id, { rules: [], defaultRole: 'member' })).rejects.toMatchObject({ status: 403, errors: [{ path: 'defaultRole' }] });
    // Nor through the provisioning settings, which set the same default role.
    await expect(setProvisioning({ ...mappingsOnly, consoleScopes: ['sso'] }, t.id, { strategy: 'jit', defaultRole: 'member' })).rejects.toMatchObject({ status: 403, errors: [{ path: 'defaultRole' }] });
    await expect(putRoleMapping(operator, t.id, { rules: [], defaultRole: 'member' })).resolves.toMatchObject({ defaultRole: 'member' });
  });
  it('a scoped admin may not suspend, reactivate or delete a user who holds sections they lack', async () => {
    const t = await newTenant();
    await putConsoleAccess(operator, t.id, { roles: { admin: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'], helpdesk: ['sso'] } });
    const db = await getDb();
    const user = async (roles: string[]) =>
      (await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `${newId('u')}@c.example`, source: 'jit', roles }).returning())[0];
    const alice = await user(['admin']);
    const bob = await user(['member']);
    const ssoOnly: Ctx = { actor: { type: 'admin', id: 'usr_helpdesk', label: 'helpdesk' }, consoleScopes: ['sso'] };
    for (const act of [() => suspendUser(ssoOnly, t.id, alice.id), () => deleteUser(ssoOnly, t.id, alice.id), () => suspendUsers(ssoOnly, t.id, [bob.id, alice.id])]) {
      await expect(act()).rejects.toMatchObject({ status: 403, errors: [{ message: expect.stringContaining('(directory_sync, role_mappings, audit_log, domains)') }] });
    }
    const [still] = await db.select().from(users).where(eq(users.id, bob.id));
    expect(still.status).toBe('active');
    // Users within their sections: fine. An operator, or one who holds every section: fine.
    await expect(suspendUser(ssoOnly, t.id, bob.id)).resolves.toMatchObject({ status: 'suspended' });
    await expect(reactivateUser(ssoOnly, t.id, bob.id)).resolves.toMatchObject({ status: 'active' });
    await expect(suspendUser(everySection, t.id, alice.id)).resolves.toMatchObject({ status: 'suspended' });
    await expect(reactivateUser(ssoOnly, t.id, alice.id)).rejects.toMatchObject({ status: 403 });
    await expect(reactivateUser(operator, t.id, alice.id)).resolves.toMatchObject({ status: 'active' });
  });

  it('while users above them exist, a scoped admin may not tighten what refuses sign-ins (sign-in IP allowlist, MFA, provisioning strategy)', async () => {
    const t = await newTenant();
    await putConsoleAccess(operator, t.id, { roles: { admin: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'], helpdesk: ['sso'] } });
    const ssoOnly: Ctx = { actor: { type: 'admin', id: 'plk_sso2', label: 'setup link' }, consoleScopes: ['sso'] };
    const keep = { keepConsoleAccessFor: '203.0.113.10' };
    // Nobody above them (a setup link setting up a new tenant): theirs to set.
    await expect(putSignInPolicy(ssoOnly, t.id, { ipAllowlist: ['203.0.113.0/24'], requireMfa: true }, keep)).resolves.toMatchObject({ requireMfa: true });
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'scim' })).resolves.toMatchObject({ strategy: 'scim' });
    await putSignInPolicy(operator, t.id, {});
    await setProvisioning(operator, t.id, { strategy: 'jit' });

    const db = await getDb();
    const [boss] = await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `boss-${newId('u')}@c.example`, source: 'jit', roles: ['admin'] }).returning();
    await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `desk-${newId('u')}@c.example`, source: 'jit', roles: ['helpdesk'] });
    const refused = (path: string) => ({ status: 403, errors: [{ path, message: expect.stringContaining(boss.email) }] });
    await expect(putSignInPolicy(ssoOnly, t.id, { ipAllowlist: ['198.51.100.7/32'] }, keep)).rejects.toMatchObject(refused('ipAllowlist'));
    await expect(putSignInPolicy(ssoOnly, t.id, { requireMfa: true }, keep)).rejects.toMatchObject(refused('requireMfa'));
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'scim' })).rejects.toMatchObject(refused('strategy'));
    expect(await getSignInPolicy(t.id)).toMatchObject({ ipAllowlist: [], requireMfa: false });
    // The rest of the policy stays theirs (session lifetimes only end sessions; one signs in again).
    await expect(putSignInPolicy(ssoOnly, t.id, { sessionMaxAgeSeconds: 3600 }, keep)).resolves.toMatchObject({ sessionMaxAgeSeconds: 3600 });
    // One who holds every section may, and so may the scoped admin once nobody is above them.
    await expect(putSignInPolicy(everySection, t.id, { ipAllowlist: ['198.51.100.0/24'] }, keep)).resolves.toMatchObject({ ipAllowlist: ['198.51.100.0/24'] });
    // Loosening never shuts anyone out: clearing the allowlist.
    await expect(putSignInPolicy(ssoOnly, t.id, { ipAllowlist: [] }, keep)).resolves.toMatchObject({ ipAllowlist: [] });
    // Adding a range, or leaving SCIM, loosens: theirs.
    await putSignInPolicy(operator, t.id, { ipAllowlist: ['198.51.100.0/24'] });
    await expect(putSignInPolicy(ssoOnly, t.id, { ipAllowlist: ['198.51.100.0/24', '203.0.113.0/24'] }, keep)).resolves.toMatchObject({ ipAllowlist: ['198.51.100.0/24', '203.0.113.0/24'] });
    await expect(putSignInPolicy(ssoOnly, t.id, { ipAllowlist: ['203.0.113.0/24'] }, keep)).rejects.toMatchObject(refused('ipAllowlist'));
    await setProvisioning(operator, t.id, { strategy: 'scim', allowedDomains: ['partner.example', 'other.example'] });
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'jit' })).resolves.toMatchObject({ strategy: 'jit' });
    // Taking a domain out of allowedDomains refuses its people's sign-ins.
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'jit', allowedDomains: ['partner.example'] })).rejects.toMatchObject(refused('allowedDomains'));
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'jit', allowedDomains: ['partner.example', 'other.example', 'third.example'] })).resolves.toMatchObject({ strategy: 'jit' });
    // A connection's own settings that refuse sign-ins, its deactivation and its deletion.
    const idp = new TestSamlIdp({ entityId: `https://idp.${newId('x')}.example/metadata`, ssoUrl: 'https://idp.example/sso' });
    const conn = await createConnection(operator, t.id, { type: 'saml', metadataXml: idp.metadataXml() });
    await updateConnection(operator, t.id, conn.id, { status: 'active', force: true });
    await expect(updateConnection(ssoOnly, t.id, conn.id, { requireMfa: true })).rejects.toMatchObject(refused('requireMfa'));
    await expect(updateConnection(ssoOnly, t.id, conn.id, { requireEncryptedAssertions: true })).rejects.toMatchObject(refused('requireEncryptedAssertions'));
    await expect(updateConnection(ssoOnly, t.id, conn.id, { status: 'draft' })).rejects.toMatchObject(refused('status'));
    await expect(deleteConnection(ssoOnly, t.id, conn.id)).rejects.toMatchObject(refused('connection'));
    // Removing a signing certificate (in a rollover, the one the IdP still signs with).
    const next = createIdpKeyPair({ commonName: 'next.example' });
    await addCertificate(operator, t.id, conn.id, { certificate: next.certPem });
    await expect(removeCertificate(ssoOnly, t.id, conn.id, new X509Certificate(idp.certPem).fingerprint256)).rejects.toMatchObject(refused('fingerprintSha256'));
    await expect(updateConnection(ssoOnly, t.id, conn.id, { name: 'Okta (renamed)' })).resolves.toMatchObject({ name: 'Okta (renamed)' });

    await db.update(users).set({ status: 'suspended' }).where(eq(users.id, boss.id));
    await expect(setProvisioning(ssoOnly, t.id, { strategy: 'scim' })).resolves.toMatchObject({ strategy: 'scim' });
    await expect(updateConnection(ssoOnly, t.id, conn.id, { requireMfa: true })).resolves.toMatchObject({ requireMfa: true });
  });

  it('one user above them among more than a thousand holders of that role, each capped by a connection’s limit, still stops a scoped admin’s tightening', async () => {
    const t = await newTenant();
    await putConsoleAccess(operator, t.id, { roles: { admin: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'] } });
    const ssoOnly: Ctx = { actor: { type: 'admin', id: 'plk_sso3', label: 'setup link' }, consoleScopes: ['sso'] };
    const db = await getDb();
    // 1,200 admins signed in through a connection limited to `sso` (not above an sso admin), listed first…
    const capped = Array.from({ length: 1200 }, (_, i) => ({
      id: `usr_0${String(i).padStart(5, '0')}_${newId('x')}`, tenantId: t.id, email: `capped${i}-${newId('u')}@c.example`, source: 'jit' as const, roles: ['admin'], scopeCeiling: ['sso'],
    }));
    for (let i = 0; i < capped.length; i += 400) await db.insert(users).values(capped.slice(i, i + 400));
    // …and the one admin above them last.
    const [boss] = await db.insert(users).values({ id: `usr_z_${newId('x')}`, tenantId: t.id, email: `boss-${newId('u')}@c.example`, source: 'jit', roles: ['admin'] }).returning();
    await expect(putSignInPolicy(ssoOnly, t.id, { requireMfa: true }, { keepConsoleAccessFor: '203.0.113.10' })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'requireMfa', message: expect.stringContaining(boss.email) }],
    });
    expect(await getSignInPolicy(t.id)).toMatchObject({ requireMfa: false });
  });

  it('only a holder of every section sets the console IP allowlist (a narrower one could shut out those above them)', async () => {
    const t = await newTenant();
    const ssoOnly: Ctx = { actor: { type: 'admin', id: 'plk_sso', label: 'setup link' }, consoleScopes: ['sso'] };
    await expect(putSignInPolicy(ssoOnly, t.id, { consoleIpAllowlist: ['203.0.113.10/32'] }, { keepConsoleAccessFor: '203.0.113.10' })).rejects.toMatchObject({
      status: 403,
      errors: [{ path: 'consoleIpAllowlist' }],
    });
    // The rest of the policy is theirs to set, the allowlist left as it is.
    await expect(putSignInPolicy(ssoOnly, t.id, { requireMfa: true }, { keepConsoleAccessFor: '203.0.113.10' })).resolves.toMatchObject({ requireMfa: true, consoleIpAllowlist: [] });
    await expect(putSignInPolicy(everySection, t.id, { consoleIpAllowlist: ['203.0.113.10/32'] }, { keepConsoleAccessFor: '203.0.113.10' })).resolves.toMatchObject({
      consoleIpAllowlist: ['203.0.113.10/32'],
    });
    // Saving the rest keeps the list an admin above set (PUT leaves it out: kept, not cleared).
    await expect(putSignInPolicy(ssoOnly, t.id, { requireMfa: false, consoleIpAllowlist: ['203.0.113.10/32'] }, { keepConsoleAccessFor: '203.0.113.10' })).resolves.toMatchObject({ requireMfa: false });
    await expect(putSignInPolicy(ssoOnly, t.id, { requireMfa: false, consoleIpAllowlist: [] }, { keepConsoleAccessFor: '203.0.113.10' })).rejects.toMatchObject({ status: 403 });
  });
});
