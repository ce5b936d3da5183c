import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';

/**
 * Sign-ins whose attributes are over a budget (lib/sso/flow.ts `toIdpProfile`,
 * lib/provisioning/mapping.ts): refused with a typed reason, on the error page and in
 * `sso.login_failed`, and nobody is created — through a real signed SAML response.
 */

async function outcome(tenantId: string) {
  const db = await getDb();
  const events = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
  return {
    failed: events.filter((e) => e.action === 'sso.login_failed').map((e) => e.reason),
    succeeded: events.filter((e) => e.action === 'sso.login_succeeded').length,
    users: await db.select().from(users).where(eq(users.tenantId, tenantId)),
  };
}

const kib = (i: number) => `g${i}-` + 'a'.repeat(1024 - 2 - String(i).length);

describe('sign-in budgets', () => {
  // Opening embedded storage (and migrating it) is slow: under the hook timeout, not a test's.
  beforeAll(async () => {
    await getDb();
  });

  it('the review’s finding: matches rules × 200 group values of 1 KiB → attributes_over_budget, no user', async () => {
    const { tenant, idp, domain } = await samlTenant();
    // Patterns of the kind the old checker admitted; 200 rules are allowed, 50 are enough to be far over.
    const rules = Array.from({ length: 50 }, (_, i) => ({ attribute: 'groups', operator: 'matches' as const, value: `.*.*=${i}`, role: 'admin' }));
    await putRoleMapping(SYSTEM, tenant.id, { rules, defaultRole: 'member' }, 'add');
    const start = performance.now();
    const r = await samlSignIn(idp, `ada@${domain}`, { groups: Array.from({ length: 200 }, (_, i) => kib(i)) });
    expect(performance.now() - start).toBeLessThan(5000);
    expect(r.acs.status).toBe(303);
    expect(r.callback!.status).toBe(400);
    expect(await r.callback!.text()).toContain('role-mapping rules can check in time');
    const o = await outcome(tenant.id);
    expect(o.failed).toEqual(['attributes_over_budget']);
    expect(o.succeeded).toBe(0);
    expect(o.users).toEqual([]);

    // The same person with an everyday assertion signs in.
    const ok = await samlSignIn(idp, `ada@${domain}`, { groups: ['Engineering'] });
    expect(ok.callback!.status).toBe(303);
    expect((await outcome(tenant.id)).users).toMatchObject([{ email: `ada@${domain}`, roles: ['member'] }]);
  });

  it.each<[string, Record<string, string | string[]>]>([
    ['more than 1,000 values in one attribute', { groups: Array.from({ length: 1001 }, (_, i) => `g${i}`) }],
    ['more than 256 attributes', Object.fromEntries(Array.from({ length: 260 }, (_, i) => [`attr${i}`, 'x']))],
    ['more than 5,000 values in all', Object.fromEntries(Array.from({ length: 6 }, (_, k) => [`list${k}`, Array.from({ length: 900 }, (_, i) => `v${i}`)]))],
    ['a value over 4,096 characters', { department: 'd'.repeat(4097) }],
  ])('%s → too_many_attributes, nothing cut, no user', async (_name, attributes) => {
    const { tenant, idp, domain } = await samlTenant();
    const r = await samlSignIn(idp, `bob@${domain}`, attributes);
    expect(r.acs.status).toBe(303);
    expect(r.callback!.status).toBe(400);
    const o = await outcome(tenant.id);
    expect(o.failed).toEqual(['too_many_attributes']);
    expect(o.users).toEqual([]);
  });

  it('the limits themselves are accepted, values kept whole', async () => {
    const { tenant, idp, domain } = await samlTenant();
    const long = 'L'.repeat(4096);
    const r = await samlSignIn(idp, `cy@${domain}`, { groups: Array.from({ length: 1000 }, (_, i) => `g${i}`), department: long });
    expect(r.callback!.status).toBe(303);
    const [u] = (await outcome(tenant.id)).users;
    expect(u.groups).toHaveLength(1000);
    expect(u.attributes?.department).toEqual([long]);
  });
});
