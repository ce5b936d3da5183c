import 'server-only';
import { eq } from 'drizzle-orm';
import { zodErrors } from '../api/endpoint';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { tenants, type Tenant } from '../db/schema';
import { AppError, notFound } from '../errors';
import { evaluate, type Attributes } from '../provisioning/mapping';
import { roleMappingInputSchema, type RoleMapping, type RoleMappingInput } from '../validation/role-mappings';

export const roleMappingOf = (t: Tenant): RoleMapping => ({ rules: t.roleRules, defaultRole: t.defaultRole });

/**
 * Replaces a tenant's rules (and default role when given) on `tx`, with the tenant row locked.
 * Problems answer 400 with each path. A role is any name (the contract's `role: string`): one the
 * tenant does not have yet joins its roles in the same transaction ({@link withRoles}); the console
 * offers the tenant's roles to pick from. Writes role_mapping.updated with before/after (plus
 * `extra`, and `rolesAdded`) when something changed.
 */
export async function writeRoleMapping(
  tx: Tx,
  ctx: Ctx,
  tenantId: string,
  input: unknown,
  extra: Record<string, unknown> = {},
): Promise<RoleMapping> {
  const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
  if (!before) throw notFound('Tenant');
  const parsed = roleMappingInputSchema.safeParse(input);
  if (!parsed.success) {
    const errors = zodErrors(parsed.error);
    throw new AppError(400, 'invalid_input', `Invalid role mapping: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  }
  const next: RoleMapping = {
    rules: parsed.data.rules as RoleMapping['rules'],
    defaultRole: parsed.data.defaultRole === undefined ? before.defaultRole : parsed.data.defaultRole,
  };
  const { roles, added } = withRoles(before.roles, [...next.rules.map((r) => r.role), next.defaultRole]);
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
      details: { ...diff, ...(added.length ? { rolesAdded: added } : {}), ...extra },
    });
  }
  return roleMappingOf(row);
}

/** Saves a tenant's rules; users get the new roles at their next sign-in or SCIM event. */
/** A tenant's roles with the named ones it lacks appended (in order of first mention), and those. */
export function withRoles(current: readonly string[], named: readonly (string | null | undefined)[]): { roles: string[]; added: string[] } {
  const added = [...new Set(named.filter((r): r is string => !!r && !current.includes(r)))];
  return { roles: [...current, ...added], added };
}

export async function putRoleMapping(ctx: Ctx, tenantId: string, input: RoleMappingInput | unknown): Promise<RoleMapping> {
  const db = await getDb();
  return db.transaction((tx) => writeRoleMapping(tx, ctx, tenantId, input));
}

export function previewRoles(t: Tenant, attributes: Attributes) {
  return evaluate(roleMappingOf(t), attributes);
}
