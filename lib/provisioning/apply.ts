import 'server-only';
import { eq } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { users } from '../db/schema';
import { putRoleMapping, writeRoleMapping, type NewRoles } from '../dal/role-mappings';
import type { RoleMapping, RoleMappingInput } from '../validation/role-mappings';
import { tenantUsers, userRuleInput } from './impact';
import { diffRoles, evaluate } from './mapping';

/**
 * Saving a role mapping, optionally applying it to existing users at once.
 *
 * Without `applyNow` this is `putRoleMapping`: users get their new roles at their next sign-in
 * (roles are evaluated at every sign-in) or SCIM event.
 *
 * With `applyNow`, in ONE transaction: the tenant row is locked, the mapping validated and saved
 * (`role_mapping.updated`, as `putRoleMapping` writes it, plus `appliedNow: true`), then every user
 * of the tenant with kept attributes is locked and re-evaluated under the new mapping over what
 * the rules saw at their last sign-in (lib/provisioning/impact.ts `userRuleInput`); each user whose
 * roles change is updated and gets one `user.roles_changed` event (before/after, added/removed,
 * `cause: "role_mapping.applied"`). If anything fails, nothing is saved and no role changes.
 * Users without kept attributes are left as they are (their roles change at their next sign-in).
 */

export type AppliedChange = { userId: string; email: string; before: string[]; after: string[] };
export type SaveResult = { mapping: RoleMapping; applied: { changed: number; users: AppliedChange[] } | null };

/** Most applied changes returned to the caller (all are written). */
const MAX_RETURNED = 200;

export async function saveRoleMapping(
  ctx: Ctx,
  tenantId: string,
  input: RoleMappingInput,
  opts: { applyNow: boolean; newRoles?: NewRoles },
): Promise<SaveResult> {
  const newRoles = opts.newRoles ?? 'refuse';
  if (!opts.applyNow) return { mapping: await putRoleMapping(ctx, tenantId, input, newRoles), applied: null };
  const db = await getDb();
  return db.transaction(async (tx) => {
    const next = await writeRoleMapping(tx, ctx, tenantId, input, { newRoles, extra: { appliedNow: true } });
    return { mapping: next, applied: await applyRoleMapping(tx, ctx, tenantId, next) };
  });
}

/**
 * Re-evaluates, on `tx`, every user of the tenant with kept attributes under `mapping`: each user
 * whose roles change is updated (row locked) and gets one `user.roles_changed` event.
 */
export async function applyRoleMapping(tx: Tx, ctx: Ctx, tenantId: string, mapping: RoleMapping): Promise<{ changed: number; users: AppliedChange[] }> {
  const now = new Date();
  const applied: AppliedChange[] = [];
  let changed = 0;
  for await (const page of tenantUsers(tx, tenantId, { withAttributes: true, forUpdate: true })) {
    for (const u of page) {
      const after = evaluate(mapping, userRuleInput(u)).roles;
      const { added, removed } = diffRoles(u.roles, after);
      if (!added.length && !removed.length) continue;
      await tx.update(users).set({ roles: after, updatedAt: now }).where(eq(users.id, u.id));
      await record(tx, ctx, {
        tenantId,
        action: 'user.roles_changed',
        target: { type: 'user', id: u.id, label: u.email },
        details: { before: { roles: u.roles }, after: { roles: after }, added, removed, cause: 'role_mapping.applied' },
      });
      changed++;
      if (applied.length < MAX_RETURNED) applied.push({ userId: u.id, email: u.email, before: u.roles, after });
    }
  }
  return { changed, users: applied };
}
