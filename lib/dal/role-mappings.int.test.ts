import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import * as provisioningRoute from '@/app/api/v1/tenants/[tenantId]/provisioning/route';
import * as mappingRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as previewRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/preview/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { newId } from '@/lib/ids';
import { evaluationCost, MAPPING_BUDGET, type Rule } from '@/lib/provisioning/mapping';
import { saveRoleMapping } from '@/lib/provisioning/apply';
import { SYSTEM } from '@/lib/audit/types';
import { call, uniqueDomain } from '@/lib/testing/api';

async function newTenant(): Promise<{ id: string }> {
  const res = await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body: { name: `Roles ${uniqueDomain('t')}` } });
  expect(res.status).toBe(201);
  return res.body;
}

const getMapping = (tenantId: string) => call(mappingRoute.GET, { path: `/api/v1/tenants/${tenantId}/role-mappings`, params: { tenantId } });
const putMapping = (tenantId: string, body: unknown) =>
  call(mappingRoute.PUT, { method: 'PUT', path: `/api/v1/tenants/${tenantId}/role-mappings`, params: { tenantId }, body });
const preview = (tenantId: string, body: unknown) =>
  call(previewRoute.POST, { method: 'POST', path: `/api/v1/tenants/${tenantId}/role-mappings/preview`, params: { tenantId }, body });
const getProvisioning = (tenantId: string) => call(provisioningRoute.GET, { params: { tenantId } });
const putProvisioning = (tenantId: string, body: unknown) => call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId }, body });

async function mappingEvents(tenantId: string) {
  const db = await getDb();
  const events = await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
  return events.filter((e) => e.action === 'role_mapping.updated');
}

const RULES = [
  { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' },
  { attribute: 'department', operator: 'equals', value: 'Sales', role: 'viewer' },
  { attribute: 'groups', operator: 'in', value: ['Admins', 'Owners'], role: 'admin' },
  { attribute: 'email', operator: 'matches', value: '[a-z]+@ops\\.example\\.com', role: 'admin' },
  { attribute: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', operator: 'exists', role: 'member' },
];

describe('role mappings API', () => {
  // Opening embedded storage (and migrating it) is slow: do it under the hook timeout, not a test's.
  beforeAll(async () => {
    await getDb();
  });

  it('starts with no rules and defaultRole member', async () => {
    const t = await newTenant();
    const res = await getMapping(t.id);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ rules: [], defaultRole: 'member' });
  });

  it('stores what PUT was given, GET returns it, and role_mapping.updated records before and after', async () => {
    const t = await newTenant();
    const put = await putMapping(t.id, { rules: RULES, defaultRole: 'viewer' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ rules: RULES, defaultRole: 'viewer' });
    expect((await getMapping(t.id)).body).toEqual({ rules: RULES, defaultRole: 'viewer' });

    const events = await mappingEvents(t.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ outcome: 'success', actorType: 'operator' });
    expect(events[0].details).toEqual({
      before: { rules: [], defaultRole: 'member' },
      after: { rules: RULES, defaultRole: 'viewer' },
      appliedNow: true,
    });

    // A second change records only what changed, before and after.
    const fewer = RULES.slice(0, 2);
    expect((await putMapping(t.id, { rules: fewer })).body).toEqual({ rules: fewer, defaultRole: 'viewer' });
    const again = await mappingEvents(t.id);
    expect(again).toHaveLength(2);
    expect(again[1].details).toEqual({ before: { rules: RULES }, after: { rules: fewer }, appliedNow: true });
  });

  it('keeps defaultRole when PUT leaves it out, and clears it with null', async () => {
    const t = await newTenant();
    expect((await putMapping(t.id, { rules: [], defaultRole: 'admin' })).body.defaultRole).toBe('admin');
    expect((await putMapping(t.id, { rules: RULES.slice(0, 1) })).body).toEqual({ rules: RULES.slice(0, 1), defaultRole: 'admin' });
    expect((await putMapping(t.id, { rules: RULES.slice(0, 1), defaultRole: null })).body).toEqual({ rules: RULES.slice(0, 1), defaultRole: null });
    expect((await getMapping(t.id)).body.defaultRole).toBeNull();
  });

  it('shares defaultRole with the provisioning settings, both ways', async () => {
    const t = await newTenant();
    expect((await putMapping(t.id, { rules: [], defaultRole: 'viewer' })).status).toBe(200);
    expect((await getProvisioning(t.id)).body).toMatchObject({ strategy: 'jit', defaultRole: 'viewer' });

    expect((await putProvisioning(t.id, { strategy: 'jit', defaultRole: 'editor' })).status).toBe(200);
    expect((await getMapping(t.id)).body.defaultRole).toBe('editor');

    expect((await putProvisioning(t.id, { strategy: 'jit', defaultRole: null })).status).toBe(200);
    expect((await getMapping(t.id)).body.defaultRole).toBeNull();
    expect((await putMapping(t.id, { rules: [], defaultRole: 'member' })).status).toBe(200);
    expect((await getProvisioning(t.id)).body.defaultRole).toBe('member');
  });

  const ok = { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' };
  it.each<[string, unknown, string[]]>([
    ['an unknown operator', { rules: [{ ...ok, operator: 'like' }] }, ['rules.0.operator']],
    ['a regular expression too complex to run (over 2,000 instructions)', { rules: [{ ...ok, operator: 'matches', value: '.{1,1000}.{1,1000}' }] }, ['rules.0.value']],
    ['a regular expression RE2 does not support (backreference)', { rules: [ok, { ...ok, operator: 'matches', value: '(x)\\1' }] }, ['rules.1.value']],
    ['an invalid regular expression', { rules: [{ ...ok, operator: 'matches', value: '([a-z' }] }, ['rules.0.value']],
    ['defaultRole not a string', { rules: [], defaultRole: 7 }, ['defaultRole']],
    ['rules missing', { defaultRole: 'member' }, ['rules']],
    ['rules not a list', { rules: { 0: ok } }, ['rules']],
    ['a rule that is not an object', { rules: ['groups=admin'] }, ['rules.0']],
    ['a rule without attribute', { rules: [{ operator: 'exists', role: 'admin' }] }, ['rules.0.attribute']],
    ['a rule without role', { rules: [{ attribute: 'groups', operator: 'exists' }] }, ['rules.0.role']],
    ['equals without value', { rules: [{ ...ok, operator: 'equals', value: undefined }] }, ['rules.0.value']],
    ['in with a single string', { rules: [{ ...ok, operator: 'in', value: 'Admins' }] }, ['rules.0.value']],
    ['in with an empty list', { rules: [{ ...ok, operator: 'in', value: [] }] }, ['rules.0.value']],
    ['exists with a value', { rules: [{ ...ok, operator: 'exists' }] }, ['rules.0.value']],
    ['an unknown field in a rule', { rules: [{ ...ok, priority: 1 }] }, ['rules.0.priority']],
    ['an unknown field beside the rules', { rules: [], defaultRol: 'member' }, ['defaultRol']],
    // All problems at once, across rules and the default role.
    ['a bad operator and an empty role in another rule', { rules: [{ ...ok, operator: 'like' }, { ...ok, role: '' }] }, ['rules.0.operator', 'rules.1.role']],
    ['a bad operator, a new role and an empty defaultRole (nothing is added)', { rules: [{ ...ok, operator: 'like' }, { ...ok, role: 'wizard' }], defaultRole: '' }, ['rules.0.operator', 'defaultRole']],
  ])('refuses %s with 400 naming each field, storing nothing', async (_n, body, paths) => {
    const t = await newTenant();
    const stored = { rules: RULES.slice(0, 2), defaultRole: 'viewer' };
    expect((await putMapping(t.id, stored)).status).toBe(200);
    const eventsBefore = (await mappingEvents(t.id)).length;

    const res = await putMapping(t.id, body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400 });
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |\.ts:\d+/);
    const got = res.body.errors.map((e: { path: string }) => e.path);
    for (const p of paths) expect(got, `paths ${JSON.stringify(got)}`).toContain(p);

    expect((await getMapping(t.id)).body).toEqual(stored);
    expect((await getProvisioning(t.id)).body.defaultRole).toBe('viewer');
    expect(await mappingEvents(t.id)).toHaveLength(eventsBefore);
  });

  it('takes any role name (the contract: role is a string): a role the tenant lacks joins its roles, in the same event', async () => {
    const t = await newTenant();
    const body = { rules: [{ ...ok, role: 'engineer' }, { ...ok, value: 'Finance', role: 'finance' }, { ...ok, value: 'Eng2', role: 'engineer' }], defaultRole: 'staff' };
    const res = await putMapping(t.id, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(body);
    const tenant = await call(tenantRoute.GET, { params: { tenantId: t.id } });
    expect(tenant.body.roles).toEqual(['admin', 'editor', 'member', 'viewer', 'engineer', 'finance', 'staff']);
    const [ev] = (await mappingEvents(t.id)).slice(-1);
    expect(ev.details).toMatchObject({ rolesAdded: ['engineer', 'finance', 'staff'] });
    expect((await preview(t.id, { attributes: { groups: ['Engineering'] } })).body.roles).toEqual(['engineer']);
    // The provisioning default role, likewise.
    expect((await putProvisioning(t.id, { strategy: 'jit', defaultRole: 'contractor' })).status).toBe(200);
    expect((await getMapping(t.id)).body.defaultRole).toBe('contractor');
    expect((await call(tenantRoute.GET, { params: { tenantId: t.id } })).body.roles).toContain('contractor');
  });

  it('answers 404 for an unknown tenant on GET, PUT and preview', async () => {
    expect((await getMapping('tnt_does_not_exist')).status).toBe(404);
    expect((await putMapping('tnt_does_not_exist', { rules: [] })).status).toBe(404);
    expect((await preview('tnt_does_not_exist', { attributes: {} })).status).toBe(404);
  });

  it('answers 401 without a key and stores nothing', async () => {
    const t = await newTenant();
    const res = await call(mappingRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { rules: RULES }, key: null });
    expect(res.status).toBe(401);
    expect((await getMapping(t.id)).body.rules).toEqual([]);
  });

  describe('preview', () => {
    it.each<[string, Record<string, string | string[]>, string[], number[]]>([
      ['no attributes: the default role', {}, ['viewer'], []],
      ['a group with contains', { groups: ['Everyone', 'Engineering'] }, ['editor'], [0]],
      ['a single-valued attribute with equals', { department: 'Sales' }, ['viewer'], [1]],
      ['equals on a multi-valued attribute does not match', { department: ['Sales', 'Support'] }, ['viewer'], []],
      ['in', { groups: 'Owners' }, ['admin'], [2]],
      ['matches, anchored', { email: 'ops@ops.example.com' }, ['admin'], [3]],
      ['matches is anchored at both ends', { email: 'x.ops@ops.example.com.evil.org' }, ['viewer'], []],
      ['matches is case-sensitive, for emails too (contract)', { email: 'OPS@OPS.EXAMPLE.COM' }, ['viewer'], []],
      ['contains is case-sensitive for groups', { groups: 'engineering' }, ['viewer'], []],
      ['exists on a full claim name', { 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': 'x' }, ['member'], [4]],
      ['an empty value does not exist', { 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role': '' }, ['viewer'], []],
      [
        'several rules: the union of their roles, sorted',
        { groups: ['Engineering', 'Admins'], department: 'Sales', email: 'ops@ops.example.com' },
        ['admin', 'editor', 'viewer'],
        [0, 1, 2, 3],
      ],
    ])('%s', async (_n, attributes, roles, matched) => {
      const t = await newTenant();
      expect((await putMapping(t.id, { rules: RULES, defaultRole: 'viewer' })).status).toBe(200);
      const res = await preview(t.id, { attributes });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ roles, matched: matched.map((i) => RULES[i]) });
    });

    it('gives no role when nothing matches and the default role is null', async () => {
      const t = await newTenant();
      await putMapping(t.id, { rules: RULES, defaultRole: null });
      expect((await preview(t.id, { attributes: { groups: 'Nobody' } })).body).toEqual({ roles: [], matched: [] });
    });

    it('uses the default role of a new tenant', async () => {
      const t = await newTenant();
      expect((await preview(t.id, { attributes: { groups: 'x' } })).body).toEqual({ roles: ['member'], matched: [] });
    });

    it('follows a defaultRole changed through the provisioning settings', async () => {
      const t = await newTenant();
      await putProvisioning(t.id, { strategy: 'jit', defaultRole: 'admin' });
      expect((await preview(t.id, { attributes: {} })).body.roles).toEqual(['admin']);
    });

    it.each<[string, unknown, string]>([
      ['attributes missing', {}, 'attributes'],
      ['attributes not an object', { attributes: ['groups'] }, 'attributes'],
      ['a value that is a number', { attributes: { groups: 5 } }, 'attributes.groups'],
    ])('refuses %s with 400', async (_n, body, path) => {
      const t = await newTenant();
      const res = await preview(t.id, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await mappingEvents(t.id)).toHaveLength(0);
    });
  });

  describe('evaluation budget (lib/provisioning/mapping.ts)', () => {
    // The slowest pattern family found: every instruction live at every character.
    const SLOW: Rule = { attribute: 'groups', operator: 'matches', value: '(?:.?){1,660}x', role: 'admin' };
    // As many values of 36 characters as fit the budget; 100 of 1 KiB are 50 times over.
    const perValue = evaluationCost({ rules: [SLOW], defaultRole: null }, { groups: ['a'.repeat(36)] }).cost;
    const atBudget = { groups: Array.from({ length: Math.floor(MAPPING_BUDGET / perValue) }, () => 'a'.repeat(36)) };
    const overBudget = { groups: Array.from({ length: 100 }, () => 'a'.repeat(1024)) };

    it('preview over budget answers 400 problem+json naming the costliest rule; at budget it answers', async () => {
      const t = await newTenant();
      expect((await putMapping(t.id, { rules: [RULES[0], SLOW], defaultRole: 'member' })).status).toBe(200);
      const over = await preview(t.id, { attributes: overBudget });
      expect(over.status).toBe(400);
      expect(over.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(over.body).toMatchObject({ type: 'about:blank#over_budget', status: 400, errors: [{ path: 'attributes' }] });
      expect(over.body.detail).toMatch(new RegExp(`budget ${MAPPING_BUDGET}; costliest: rule 2, matches on groups\\); a sign-in with them would be refused`));
      const ok = await preview(t.id, { attributes: atBudget });
      expect(ok.status).toBe(200);
      expect(ok.body).toEqual({ roles: ['member'], matched: [] });
    });

    it('PUT is refused with 400, nothing saved, when the rules are over budget for a user’s kept attributes', async () => {
      const t = await newTenant();
      const db = await getDb();
      await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `big@${uniqueDomain('b')}`, source: 'jit', roles: ['member'], groups: overBudget.groups, attributes: {} });
      const before = (await getMapping(t.id)).body;
      const res = await putMapping(t.id, { rules: [SLOW], defaultRole: 'member' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: 'about:blank#over_budget', errors: [{ path: 'rules.0' }] });
      expect(JSON.stringify(res.body)).toMatch(/Nothing was saved/);
      expect((await getMapping(t.id)).body).toEqual(before);
      expect(await mappingEvents(t.id)).toHaveLength(0);
    });

    it('a save that does not apply the rules now (the console’s “Save”) is refused the same way: nobody’s sign-ins are shut out by saving rules', async () => {
      const t = await newTenant();
      const db = await getDb();
      const [big] = await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `big@${uniqueDomain('b')}`, source: 'jit', roles: ['member'], groups: overBudget.groups, attributes: {} }).returning();
      const before = (await getMapping(t.id)).body;
      const saved = saveRoleMapping(SYSTEM, t.id, { rules: [SLOW], defaultRole: 'member' }, { applyNow: false, newRoles: 'add' });
      await expect(saved).rejects.toMatchObject({ status: 400, code: 'over_budget', errors: [{ path: 'rules.0', message: expect.stringMatching(/big@.*Nothing was saved/) }] });
      expect((await getMapping(t.id)).body).toEqual(before);
      expect(await mappingEvents(t.id)).toHaveLength(0);
      // Within budget for everyone, it saves (without applying).
      await expect(saveRoleMapping(SYSTEM, t.id, { rules: [RULES[0] as Rule], defaultRole: 'member' }, { applyNow: false, newRoles: 'add' })).resolves.toMatchObject({ applied: null });
      // A suspended user (who signs in to nothing, and whose attributes nobody here can change) does not hold a save up.
      await db.update(users).set({ status: 'suspended' }).where(eq(users.id, big.id));
      await expect(saveRoleMapping(SYSTEM, t.id, { rules: [SLOW], defaultRole: 'member' }, { applyNow: false, newRoles: 'add' })).resolves.toMatchObject({ applied: null });
    });

    it('the event loop stays responsive while 20 at-budget and over-budget previews run at once', async () => {
      const t = await newTenant();
      expect((await putMapping(t.id, { rules: [SLOW], defaultRole: 'member' })).status).toBe(200);
      await preview(t.id, { attributes: atBudget }); // compile once, outside the measurement

      // A 5 ms timer: the longest gap between its ticks (and up to the end) is the loop's worst stall.
      let maxGap = 0;
      let ticks = 0;
      let last = performance.now();
      const probe = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
      }, 5);
      const started = performance.now();
      try {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => preview(t.id, { attributes: i % 2 ? overBudget : atBudget })));
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i % 2 ? 400 : 200)));
      } finally {
        clearInterval(probe);
      }
      maxGap = Math.max(maxGap, performance.now() - last);
      const maxLag = maxGap - 5;
      expect(ticks).toBeGreaterThan(0);
      // Each at-budget evaluation holds the loop for tens of milliseconds at most; over budget, not at all.
      expect(maxLag).toBeLessThan(1000);
      expect(performance.now() - started).toBeLessThan(5000);
    });
  });
});
