import { and, eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { TENANT_SCOPES } from '@/lib/auth/permissions';
import { getDb } from '@/lib/db/client';
import { auditEvents, directories, users } from '@/lib/db/schema';
import { scimCall } from '@/lib/testing/scim';
import { samlTenant } from '@/lib/testing/sso';
import { putConsoleAccess } from './console-access';
import { createDirectory, deleteDirectory } from './directories';
import { putRoleMapping } from './role-mappings';

// A budget for role evaluation of a whole request that a test can set to nothing.
vi.mock('@/lib/provisioning/mapping', async (original) => {
  const m = (await original()) as typeof import('@/lib/provisioning/mapping');
  class Meter extends m.MappingMeter {
    constructor(budgetMs?: number) {
      super(budgetMs ?? (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs);
    }
  }
  return { ...m, MappingMeter: Meter };
});

/** An admin holding only the directory section (a setup link for directory sync). */
const directoryOnly: Ctx = { actor: { type: 'admin', id: 'plk_dir', label: 'setup link' }, consoleScopes: ['directory_sync'] };
const scimUser = (email: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, emails: [{ value: email, primary: true }], active: true });
const scimGroup = (name: string, members: string[]) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: members.map((value) => ({ value })) });

/** A tenant whose "Admins" group gives the admin role, which opens every console section; directories A and B both push ada. */
async function world() {
  const { tenant: t, domain } = await samlTenant();
  await putRoleMapping(SYSTEM, t.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' }], defaultRole: 'member' }, 'add');
  await putConsoleAccess(SYSTEM, t.id, { roles: { admin: [...TENANT_SCOPES] } });
  const a = await createDirectory(SYSTEM, t.id, { name: 'Old' });
  const b = await createDirectory(SYSTEM, t.id, { name: 'New' });
  const ada = `ada@${domain}`;
  const inA = await scimCall(a, 'POST', '/Users', scimUser(ada));
  const inB = await scimCall(b, 'POST', '/Users', scimUser(ada));
  const db = await getDb();
  const user = async () => (await db.select().from(users).where(and(eq(users.tenantId, t.id), eq(users.email, ada))))[0];
  const exists = async (id: string) => (await db.select().from(directories).where(eq(directories.id, id))).length === 1;
  return { t, a, b, inA: inA.body.id as string, inB: inB.body.id as string, user, exists };
}

describe('deleting one of two directories that push the same user', () => {
  it('a narrower admin may delete it when nothing about an admin above them changes; not when it would take their admin group', async () => {
    const w = await world();
    expect((await scimCall(w.b, 'POST', '/Groups', scimGroup('Admins', [w.inB]))).status).toBe(201);
    expect(await w.user()).toMatchObject({ roles: ['admin'] });
    await deleteDirectory(directoryOnly, w.t.id, w.a.id);
    expect(await w.user()).toMatchObject({ status: 'active', roles: ['admin'], groups: ['Admins'] });

    const v = await world();
    expect((await scimCall(v.a, 'POST', '/Groups', scimGroup('Admins', [v.inA]))).status).toBe(201);
    await expect(deleteDirectory(directoryOnly, v.t.id, v.a.id)).rejects.toMatchObject({ status: 403, errors: [{ path: 'directoryId' }] });
    expect(await v.exists(v.a.id)).toBe(true);
    expect(await v.user()).toMatchObject({ roles: ['admin'], groups: ['Admins'] });
    // Whoever holds every section may.
    await deleteDirectory(SYSTEM, v.t.id, v.a.id);
    expect(await v.user()).toMatchObject({ status: 'active', roles: ['member'], groups: [] });
  });

  it('is not held to one request’s budget for working out roles (a migration from an old directory to a new one moves every user)', async () => {
    const w = await world();
    (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs = 0;
    try {
      await deleteDirectory(SYSTEM, w.t.id, w.a.id);
    } finally {
      delete (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs;
    }
    expect(await w.exists(w.a.id)).toBe(false);
  });

  it('the kept user’s events name the deleted directory; a kept user whose other SCIM user is inactive is suspended for the deletion', async () => {
    const w = await world();
    expect((await scimCall(w.b, 'PATCH', `/Users/${w.inB}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(200);
    expect(await w.user()).toMatchObject({ status: 'active' });
    await deleteDirectory(SYSTEM, w.t.id, w.a.id);
    expect(await w.user()).toMatchObject({ status: 'suspended', suspendedBy: 'scim' });
    const db = await getDb();
    const [suspended] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, w.t.id), eq(auditEvents.targetId, (await w.user()).id), eq(auditEvents.action, 'user.suspended')));
    expect(suspended).toMatchObject({ reason: 'directory deleted', details: { directoryId: w.a.id } });
  });
});
