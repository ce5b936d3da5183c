import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { putRoleMapping, roleMappingOf } from '@/lib/dal/role-mappings';
import { getTenant } from '@/lib/dal/tenants';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';
import type { RoleMapping } from '@/lib/validation/role-mappings';
import { saveRoleMapping } from './apply';

// Writing the audit events of the role changes fails, after the roles were written: everything must be undone.
const failAt = vi.hoisted(() => ({ n: 0, remaining: Infinity }));
vi.mock('@/lib/audit/record', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/lib/audit/record')>();
  return {
    ...actual,
    recordMany: async (...args: Parameters<typeof actual.recordMany>) => {
      if (args[2].some((e) => e.action === 'user.roles_changed') && --failAt.remaining < 0) throw new Error('audit store unavailable');
      return actual.recordMany(...args);
    },
  };
});

const SAVED: RoleMapping = { rules: [], defaultRole: 'member' };
const DRAFT: RoleMapping = { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'admin' }], defaultRole: 'viewer' };

describe('apply-now is one transaction', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('a failure while applying leaves the mapping, every role and the audit log as they were', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await putRoleMapping(SYSTEM, tenant.id, SAVED);
    for (const who of ['a', 'b', 'c']) await samlSignIn(idp, `${who}@${domain}`, { groups: ['Engineering'] });
    const db = await getDb();
    const eventsOf = () => db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenant.id));
    const before = (await eventsOf()).length;

    failAt.remaining = 0; // the roles are written, their events fail
    const err = await saveRoleMapping(SYSTEM, tenant.id, DRAFT, { applyNow: true }).catch((e) => e);
    failAt.remaining = Infinity;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('audit store unavailable');

    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(SAVED);
    const rows = await db.select().from(users).where(and(eq(users.tenantId, tenant.id)));
    expect(rows.map((u) => u.roles)).toEqual([['member'], ['member'], ['member']]);
    expect(await eventsOf()).toHaveLength(before);

    // And the same call succeeds once the failure is gone.
    const ok = await saveRoleMapping(SYSTEM, tenant.id, DRAFT, { applyNow: true });
    expect(ok.applied?.changed).toBe(3);
  });
});
