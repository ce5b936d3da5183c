import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { putRoleMapping, roleMappingOf } from '@/lib/dal/role-mappings';
import { getTenant } from '@/lib/dal/tenants';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { AppError } from '@/lib/errors';
import { newId } from '@/lib/ids';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';
import type { RoleMapping } from '@/lib/validation/role-mappings';
import * as roleMappingsRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as provisioningRoute from '@/app/api/v1/tenants/[tenantId]/provisioning/route';
import { call } from '@/lib/testing/api';
import { saveRoleMapping } from './apply';
import { evaluationCost, MAPPING_BUDGET } from './mapping';
import { impactFor, PAGE_SIZE, recentSignIns, signInSample } from './impact';

const admin: Ctx = { actor: { type: 'operator', id: 'op_impact', label: 'ops@portal.test' }, ip: '198.51.100.7', userAgent: 'vitest' };

const SAVED: RoleMapping = {
  rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }],
  defaultRole: 'member',
};
const DRAFT: RoleMapping = {
  rules: [
    { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'admin' },
    { attribute: 'department', operator: 'equals', value: 'Sales', role: 'viewer' },
  ],
  defaultRole: 'member',
};

/**
 * A tenant with the SAVED mapping and four users: three signed in through the test IdP (so their
 * attributes are kept) and one created without attributes (as SCIM would).
 */
async function tenantWithUsers() {
  const { tenant, idp, domain } = await samlTenant();
  await putRoleMapping(SYSTEM, tenant.id, SAVED);
  const email = (local: string) => `${local}@${domain}`;
  const people: [string, Record<string, string | string[]>][] = [
    ['eng', { groups: ['Engineering', 'Everyone'] }],
    ['sales', { department: 'Sales' }],
    ['plain', { department: 'Support' }],
  ];
  for (const [who, attrs] of people) {
    const r = await samlSignIn(idp, email(who), attrs);
    expect(r.callback?.status, `sign-in of ${who}`).toBe(303);
  }
  const db = await getDb();
  await db.insert(users).values({ id: newId('usr'), tenantId: tenant.id, email: email('scim'), source: 'scim', roles: ['member'] });
  const all = await db.select().from(users).where(eq(users.tenantId, tenant.id));
  const byEmail = Object.fromEntries(all.map((u) => [u.email.split('@')[0], u]));
  return { tenant, idp, domain, email, byEmail };
}

async function rolesOf(tenantId: string) {
  const db = await getDb();
  const rows = await db.select().from(users).where(eq(users.tenantId, tenantId));
  return Object.fromEntries(rows.map((u) => [u.email.split('@')[0], u.roles]));
}

async function events(tenantId: string, action: string) {
  const db = await getDb();
  return db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, action)))
    .orderBy(auditEvents.id); // chain order (ids are time-ordered; the sequencer links them in id order)
}

describe('role mapping impact and apply-now', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('the users signed in under the saved mapping have the roles it gives, and their attributes are kept', async () => {
    const { tenant, byEmail } = await tenantWithUsers();
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['editor'], sales: ['member'], plain: ['member'], scim: ['member'] });
    expect(byEmail.sales.attributes).toMatchObject({ department: ['Sales'] });
    expect(byEmail.scim.attributes).toBeNull();

    // The preview's samples: recent sign-ins with kept attributes, newest first, and what the rules saw.
    const recent = await recentSignIns(tenant.id);
    expect(recent.map((r) => r.email.split('@')[0])).toEqual(['plain', 'sales', 'eng']);
    const sample = await signInSample(tenant.id, byEmail.eng.id);
    expect(sample?.attributes).toMatchObject({ email: [byEmail.eng.email], groups: ['Engineering', 'Everyone'] });
    expect(await signInSample(tenant.id, byEmail.scim.id)).toBeNull();
    const other = await samlTenant();
    expect(await signInSample(other.tenant.id, byEmail.eng.id)).toBeNull(); // another tenant's user
  });

  it('the preview has a total budget: past it, it stops and counts the users it did not check', async () => {
    const { tenant } = await tenantWithUsers();
    const saved = roleMappingOf(await getTenant(tenant.id));
    expect(await impactFor(tenant.id, saved, DRAFT, { budgetMs: 0 })).toMatchObject({ evaluated: 0, unknownCount: 0, changedCount: 0, notChecked: 4 });
    expect(await impactFor(tenant.id, saved, DRAFT)).toMatchObject({ evaluated: 3, unknownCount: 1, notChecked: 0 });
  });

  it('computes who would gain and lose which roles under a draft, and who is unknown', async () => {
    const { tenant, byEmail } = await tenantWithUsers();
    const saved = roleMappingOf(await getTenant(tenant.id));
    const impact = await impactFor(tenant.id, saved, DRAFT);
    expect(impact).toMatchObject({ evaluated: 3, changedCount: 2, changedByDraft: 2, unknownCount: 1, notChecked: 0 });
    const changes = Object.fromEntries(impact.changes.map((c) => [c.email.split('@')[0], c]));
    expect(changes.eng).toMatchObject({ userId: byEmail.eng.id, before: ['editor'], after: ['admin'], added: ['admin'], removed: ['editor'], pending: false });
    expect(changes.sales).toMatchObject({ before: ['member'], after: ['viewer'], added: ['viewer'], removed: ['member'] });
    expect(changes.plain).toBeUndefined();
    expect(impact.byRole).toEqual([
      { role: 'admin', gained: 1, lost: 0 },
      { role: 'editor', gained: 0, lost: 1 },
      { role: 'member', gained: 0, lost: 1 },
      { role: 'viewer', gained: 1, lost: 0 },
    ]);
    expect(impact.unknown).toEqual([{ userId: byEmail.scim.id, email: byEmail.scim.email, status: 'active', roles: ['member'] }]);

    // Computing the impact changes nothing.
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['editor'], sales: ['member'], plain: ['member'], scim: ['member'] });
    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(SAVED);
  });

  it('saving without apply-now changes the rules only; roles follow at the next sign-in', async () => {
    const { tenant, idp, email } = await tenantWithUsers();
    const r = await saveRoleMapping(admin, tenant.id, DRAFT, { applyNow: false });
    expect(r).toEqual({ mapping: DRAFT, applied: null });
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['editor'], sales: ['member'], plain: ['member'], scim: ['member'] });
    expect(await events(tenant.id, 'user.roles_changed')).toHaveLength(0);
    expect(await events(tenant.id, 'role_mapping.updated')).toHaveLength(2); // SAVED, then DRAFT

    await samlSignIn(idp, email('sales'), { department: 'Sales' });
    expect((await rolesOf(tenant.id)).sales).toEqual(['viewer']);
  });

  it('apply-now saves the mapping and changes the roles of affected users in one go, one audit event each', async () => {
    const { tenant, byEmail } = await tenantWithUsers();
    const mappingEventsBefore = (await events(tenant.id, 'role_mapping.updated')).length;

    const r = await saveRoleMapping(admin, tenant.id, DRAFT, { applyNow: true });
    expect(r.mapping).toEqual(DRAFT);
    expect(r.applied?.changed).toBe(2);
    expect(r.applied?.users.map((u) => u.email.split('@')[0]).sort()).toEqual(['eng', 'sales']);

    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(DRAFT);
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['admin'], sales: ['viewer'], plain: ['member'], scim: ['member'] });

    const mappingEvents = await events(tenant.id, 'role_mapping.updated');
    expect(mappingEvents).toHaveLength(mappingEventsBefore + 1);
    expect(mappingEvents.at(-1)).toMatchObject({ actorType: 'operator', actorId: 'op_impact', ip: '198.51.100.7' });
    expect(mappingEvents.at(-1)!.details).toEqual({ before: { rules: SAVED.rules }, after: { rules: DRAFT.rules }, appliedNow: true });

    const roleEvents = await events(tenant.id, 'user.roles_changed');
    expect(roleEvents).toHaveLength(2);
    const byTarget = Object.fromEntries(roleEvents.map((e) => [e.targetId, e]));
    expect(byTarget[byEmail.eng.id]).toMatchObject({ actorType: 'operator', actorId: 'op_impact', targetType: 'user', targetLabel: byEmail.eng.email, outcome: 'success' });
    expect(byTarget[byEmail.eng.id].details).toEqual({
      before: { roles: ['editor'] },
      after: { roles: ['admin'] },
      added: ['admin'],
      removed: ['editor'],
      cause: 'role_mapping.applied',
    });
    expect(byTarget[byEmail.sales.id].details).toMatchObject({ before: { roles: ['member'] }, after: { roles: ['viewer'] } });
    // The mapping event comes first, in the same chain.
    expect(roleEvents.every((e) => e.id > mappingEvents.at(-1)!.id)).toBe(true);

    // Unaffected users are untouched, not even their updatedAt.
    const db = await getDb();
    const [plain] = await db.select().from(users).where(eq(users.id, byEmail.plain.id));
    const [scim] = await db.select().from(users).where(eq(users.id, byEmail.scim.id));
    expect(plain.updatedAt.getTime()).toBe(byEmail.plain.updatedAt.getTime());
    expect(scim.updatedAt.getTime()).toBe(byEmail.scim.updatedAt.getTime());

    // Afterwards the impact of the saved mapping is nil.
    const after = await impactFor(tenant.id, DRAFT, DRAFT);
    expect(after).toMatchObject({ evaluated: 3, changedCount: 0, unknownCount: 1 });
  });

  it('gives the same roles as the next sign-in would: signing in again changes nothing', async () => {
    const { tenant, idp, email } = await tenantWithUsers();
    await saveRoleMapping(admin, tenant.id, DRAFT, { applyNow: true });
    const before = (await events(tenant.id, 'user.roles_changed')).length;
    await samlSignIn(idp, email('eng'), { groups: ['Engineering', 'Everyone'] });
    await samlSignIn(idp, email('sales'), { department: 'Sales' });
    expect(await rolesOf(tenant.id)).toMatchObject({ eng: ['admin'], sales: ['viewer'] });
    expect(await events(tenant.id, 'user.roles_changed')).toHaveLength(before);
  });

  it('apply-now with nothing to change writes no user event', async () => {
    const { tenant } = await tenantWithUsers();
    const r = await saveRoleMapping(admin, tenant.id, SAVED, { applyNow: true });
    expect(r.applied).toEqual({ changed: 0, users: [] });
    expect(await events(tenant.id, 'user.roles_changed')).toHaveLength(0);
  });

  it('refuses an invalid mapping with the field paths and changes nothing', async () => {
    const { tenant } = await tenantWithUsers();
    const mappingEventsBefore = (await events(tenant.id, 'role_mapping.updated')).length;
    const bad = { rules: [DRAFT.rules[0], { attribute: 'department', operator: 'matches', value: '(a+', role: 'wizard' }], defaultRole: 'member' };
    const err = await saveRoleMapping(admin, tenant.id, bad as never, { applyNow: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.status).toBe(400);
    expect((err as AppError).errors?.map((e) => e.path).sort()).toEqual(['rules.1.role', 'rules.1.value']);
    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(SAVED);
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['editor'], sales: ['member'], plain: ['member'], scim: ['member'] });
    expect(await events(tenant.id, 'role_mapping.updated')).toHaveLength(mappingEventsBefore);
    expect(await events(tenant.id, 'user.roles_changed')).toHaveLength(0);
  });

  it('through the API, a new mapping or default role applies at once (users with kept attributes), in one transaction with its events', async () => {
    const { tenant } = await tenantWithUsers();
    const params = { tenantId: tenant.id };
    const put = await call(roleMappingsRoute.PUT, { method: 'PUT', params, body: DRAFT });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(DRAFT);
    // scim has no kept attributes: its roles change at its next SCIM update.
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['admin'], sales: ['viewer'], plain: ['member'], scim: ['member'] });
    expect((await events(tenant.id, 'user.roles_changed')).map((e) => e.details)).toEqual([
      expect.objectContaining({ added: ['admin'], removed: ['editor'], cause: 'role_mapping.applied' }),
      expect.objectContaining({ added: ['viewer'], removed: ['member'], cause: 'role_mapping.applied' }),
    ]);
    // The default role through the provisioning endpoint, likewise (a new role joins the tenant's roles).
    const prov = await call(provisioningRoute.PUT, { method: 'PUT', params, body: { strategy: 'jit', defaultRole: 'guest' } });
    expect(prov.status).toBe(200);
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['admin'], sales: ['viewer'], plain: ['guest'], scim: ['member'] });
    expect(await events(tenant.id, 'user.roles_changed')).toHaveLength(3);
    // An invalid mapping changes nothing.
    expect((await call(roleMappingsRoute.PUT, { method: 'PUT', params, body: { rules: [{ attribute: 'groups', operator: 'like', role: 'x' }] } })).status).toBe(400);
    expect(await rolesOf(tenant.id)).toEqual({ eng: ['admin'], sales: ['viewer'], plain: ['guest'], scim: ['member'] });
  });

  it('answers 404 for an unknown tenant', async () => {
    const err = await saveRoleMapping(admin, 'tnt_missing', DRAFT, { applyNow: true }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.status).toBe(404);
  });

  it('a draft over the evaluation budget for a user: the impact and apply-now are refused with 400, nothing changes', async () => {
    const { tenant, domain } = await tenantWithUsers();
    const db = await getDb();
    // A user whose kept groups are many long values (as a sign-in under lighter rules could keep).
    await db.insert(users).values({ id: newId('usr'), tenantId: tenant.id, email: `many@${domain}`, source: 'jit', roles: ['member'], groups: Array.from({ length: 400 }, (_, i) => `g${i}-${'a'.repeat(1000)}`), attributes: {} });
    const heavy: RoleMapping = { rules: [{ attribute: 'groups', operator: 'matches', value: '(?:.?){1,660}x', role: 'admin' }], defaultRole: 'member' };
    const impact = await impactFor(tenant.id, SAVED, heavy).catch((e) => e);
    expect(impact).toBeInstanceOf(AppError);
    expect(impact).toMatchObject({ status: 400, code: 'over_budget', errors: [{ path: 'rules.0' }] });
    expect(impact.message).toMatch(new RegExp(`kept for many@${domain.replace(/\./g, '\\.')}.*rule 1 \\(matches on groups\\)`));
    const before = await rolesOf(tenant.id);
    const err = await saveRoleMapping(admin, tenant.id, heavy, { applyNow: true }).catch((e) => e);
    expect(err).toMatchObject({ status: 400, code: 'over_budget' });
    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(SAVED);
    expect(await rolesOf(tenant.id)).toEqual(before);
    // The saved mapping being over budget for a user does not stop an impact: that change is just not pending.
    expect((await impactFor(tenant.id, heavy, SAVED)).evaluated).toBe(4);
  });
});

describe('Save and apply across many users', () => {
  it('rules whose evaluation over every user together costs more than one request may are refused (400 over_budget), nothing saved; saving without applying still works', async () => {
    // Each user just under the per-user budget: 80 of them would hold the database for seconds
    // in the one transaction (on embedded storage, every tenant's requests wait behind it).
    const { tenant, domain } = await samlTenant();
    const db = await getDb();
    const rules = Array.from({ length: 10 }, (_, i) => ({ attribute: 'department', operator: 'matches' as const, value: `(?:.?){1,662}x${'y'.repeat(i)}`, role: 'viewer' }));
    const mapping = { rules, defaultRole: 'member' };
    let len = 10;
    while (evaluationCost(mapping, { department: ['a'.repeat(len + 1)] }).cost < MAPPING_BUDGET) len++;
    await db.insert(users).values(
      Array.from({ length: 80 }, (_, i) => ({ id: newId('usr'), tenantId: tenant.id, email: `u${i}@${domain}`, source: 'scim' as const, roles: ['member'], attributes: { department: ['a'.repeat(len)], email: [`u${i}@${domain}`] } })),
    );
    const before = roleMappingOf(await getTenant(tenant.id));
    const err = await saveRoleMapping(admin, tenant.id, mapping, { applyNow: true, newRoles: 'add' }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('over_budget');
    expect(err.message).toMatch(/save without applying/);
    expect(roleMappingOf(await getTenant(tenant.id))).toEqual(before);
    const saved = await saveRoleMapping(admin, tenant.id, mapping, { applyNow: false, newRoles: 'add' });
    expect(saved.mapping.rules).toHaveLength(10);
  }, 60_000);

  it('applies across more than one page of users (1,000 a page): every changed user gets the new roles and one event, the others neither', async () => {
    const { tenant, domain } = await samlTenant();
    const db = await getDb();
    await putRoleMapping(SYSTEM, tenant.id, SAVED);
    const n = PAGE_SIZE + 200;
    // Every third user is in Engineering (editor now, admin under the draft); the others stay members.
    await db.insert(users).values(
      Array.from({ length: n }, (_, i) => ({
        id: `usr_page_${String(i).padStart(5, '0')}_${tenant.id}`,
        tenantId: tenant.id,
        email: `p${i}@${domain}`,
        source: 'scim' as const,
        roles: [i % 3 ? 'member' : 'editor'],
        groups: i % 3 ? ['Everyone'] : ['Engineering'],
        attributes: { groups: i % 3 ? ['Everyone'] : ['Engineering'], email: [`p${i}@${domain}`] },
      })),
    );
    const before = new Date(Date.now() - 1000);
    const out = await saveRoleMapping(admin, tenant.id, DRAFT, { applyNow: true, newRoles: 'add' });
    const engineers = Math.ceil(n / 3);
    expect(out.applied?.changed).toBe(engineers);
    const rows = await db.select({ id: users.id, roles: users.roles, updatedAt: users.updatedAt }).from(users).where(eq(users.tenantId, tenant.id));
    const admins = rows.filter((r) => r.roles.includes('admin'));
    expect(admins).toHaveLength(engineers);
    expect(admins.every((r) => r.updatedAt >= before)).toBe(true);
    // The last page too (ids sort the pages): the last engineer.
    const last = rows.find((r) => r.id === `usr_page_${String(Math.floor((n - 1) / 3) * 3).padStart(5, '0')}_${tenant.id}`);
    expect(last?.roles).toEqual(['admin']);
    const events = await db.select({ targetId: auditEvents.targetId, details: auditEvents.details }).from(auditEvents).where(and(eq(auditEvents.tenantId, tenant.id), eq(auditEvents.action, 'user.roles_changed')));
    expect(events).toHaveLength(engineers);
    expect(new Set(events.map((e) => e.targetId))).toEqual(new Set(admins.map((r) => r.id)));
    expect(events[0].details).toMatchObject({ before: { roles: ['editor'] }, after: { roles: ['admin'] }, cause: 'role_mapping.applied' });
  }, 60_000);
});
