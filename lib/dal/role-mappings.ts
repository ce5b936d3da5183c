import 'server-only';
import { eq } from 'drizzle-orm';
import { zodErrors } from '../api/endpoint';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { tenants, type Tenant } from '../db/schema';
import { AppError, badRequest, notFound } from '../errors';
import { evaluateInTurn } from '../provisioning/breathe';
import { MappingBudgetExceeded, type Attributes } from '../provisioning/mapping';
import { roleMappingInputSchema, roleMappingSchemaFor, type RoleMapping, type RoleMappingInput } from '../validation/role-mappings';
import { MAX_ROLES } from '../validation/tenants';
import { refuseEscalation } from './console-access';

export const roleMappingOf = (t: Tenant): RoleMapping => ({ rules: t.roleRules, defaultRole: t.defaultRole });

/**
 * Who may name a role the tenant does not have yet: the operator API may (the contract's
 * `role: string`; the role then joins the tenant's roles, see {@link withRoles}); the tenant
 * console may not (its admins pick from the roles the operator set).
 */
export type NewRoles = 'add' | 'refuse';

/**
 * Replaces a tenant's rules (and default role when given) on `tx`, with the tenant row locked and
 * the roles checked against it. Problems answer 400 with each path. Writes role_mapping.updated
 * with before/after (plus `extra`, and `rolesAdded`) when something changed.
 */
export async function writeRoleMapping(
  tx: Tx,
  ctx: Ctx,
  tenantId: string,
  input: unknown,
  opts: { newRoles: NewRoles; extra?: Record<string, unknown> },
): Promise<RoleMapping> {
  const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
  if (!before) throw notFound('Tenant');
  const parsed = (opts.newRoles === 'add' ? roleMappingInputSchema : roleMappingSchemaFor(before.roles)).safeParse(input);
  if (!parsed.success) {
    const errors = zodErrors(parsed.error);
    throw new AppError(400, 'invalid_input', `Invalid role mapping: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  }
  const next: RoleMapping = {
    rules: parsed.data.rules as RoleMapping['rules'],
    defaultRole: parsed.data.defaultRole === undefined ? before.defaultRole : parsed.data.defaultRole,
  };
  // Console access: the person saving may neither give users nor take from them a role that opens
  // console sections they do not hold (a setup link scoped to role mappings cannot make everyone an
  // admin of the whole console, nor demote the admins above it).
  const access = before.consoleAccess ?? {};
  const ruleKey = (r: RoleMapping['rules'][number]) => JSON.stringify([r.attribute, r.operator, r.value ?? null, r.role]);
  const kept = new Set(before.roleRules.map(ruleKey));
  const nextKeys = new Set(next.rules.map(ruleKey));
  next.rules.forEach((r, i) => {
    if (!kept.has(ruleKey(r))) refuseEscalation(ctx, access, r.role, `rules.${i}.role`);
  });
  for (const r of before.roleRules) {
    if (!nextKeys.has(ruleKey(r))) refuseEscalation(ctx, access, r.role, 'rules', 'removing or changing its rule takes from users a role: ', 'take it from users');
  }
  if (next.defaultRole !== before.defaultRole) {
    refuseEscalation(ctx, access, next.defaultRole, 'defaultRole');
    refuseEscalation(ctx, access, before.defaultRole, 'defaultRole', 'the default role now: ', 'take it from users');
  }
  // The users no rule matches have the default role: any other change of the rules moves users
  // into or out of it.
  if (kept.size !== nextKeys.size || [...kept].some((k) => !nextKeys.has(k))) {
    refuseEscalation(ctx, access, before.defaultRole, 'rules', 'a change of rules moves users into or out of the default role: ', 'change who has it');
  }
  const { roles, added } = withRoles(before.roles, [...next.rules.map((r) => r.role), next.defaultRole], 'rules');
  const [row] = await tx
    .update(tenants)
    .set({ roleRules: next.rules, defaultRole: next.defaultRole, roles, updatedAt: new Date() })
    .where(eq(tenants.id, tenantId))
    .returning();
  const diff = changes(roleMappingOf(before), next);
  if (diff) {
    await record(tx, ctx, {
      tenantId,
      action: 'role_mapping.updated',
      target: { type: 'tenant', id: tenantId, label: before.name },
      details: { ...diff, ...(added.length ? { rolesAdded: added } : {}), ...opts.extra },
    });
  }
  return roleMappingOf(row);
}

/**
 * A tenant's roles with the named ones it lacks appended (in order of first mention), and those.
 * More than {@link MAX_ROLES} in all is a 400 on `field`.
 */
export function withRoles(current: readonly string[], named: readonly (string | null | undefined)[], field: string): { roles: string[]; added: string[] } {
  const added = [...new Set(named.filter((r): r is string => !!r && !current.includes(r)))];
  const roles = [...current, ...added];
  if (roles.length > MAX_ROLES) {
    throw badRequest('too many roles', [{ path: field, message: `would give the tenant ${roles.length} roles; at most ${MAX_ROLES}` }]);
  }
  return { roles, added };
}

/** Saves a tenant's rules; users get the new roles at their next sign-in or SCIM event. */
export async function putRoleMapping(ctx: Ctx, tenantId: string, input: RoleMappingInput | unknown, newRoles: NewRoles = 'refuse'): Promise<RoleMapping> {
  const db = await getDb();
  return db.transaction((tx) => writeRoleMapping(tx, ctx, tenantId, input, { newRoles }));
}

/**
 * The roles these attributes would get. Over the evaluation budget (lib/provisioning/mapping.ts)
 * a 400 that says so: a sign-in with these attributes would be refused the same way. A heavy
 * evaluation (up to ~0.1 s) runs on a turn of the event loop of its own.
 */
export async function previewRoles(t: Tenant, attributes: Attributes) {
  try {
    return await evaluateInTurn(roleMappingOf(t), attributes);
  } catch (e) {
    if (!(e instanceof MappingBudgetExceeded)) throw e;
    const message = `too many or too long values for this tenant's role-mapping rules (cost ${e.cost}, budget ${e.budget}${e.heaviest ? `; costliest: rule ${e.heaviest.index + 1}, ${e.heaviest.operator} on ${e.heaviest.attribute}` : ''}); a sign-in with them would be refused (attributes_over_budget)`;
    throw new AppError(400, 'over_budget', `Cannot evaluate: ${message}`, [{ path: 'attributes', message }]);
  }
}
