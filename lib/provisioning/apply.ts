import 'server-only';
import { sql } from 'drizzle-orm';
import { recordMany, type AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { AppError } from '../errors';
import { writeRoleMapping, type NewRoles } from '../dal/role-mappings';
import type { RoleMapping, RoleMappingInput } from '../validation/role-mappings';
import { breather } from './breathe';
import { tenantUsers, userRuleInput } from './impact';
import { diffRoles, evaluate, evaluationCost, MAPPING_BUDGET, MappingBudgetExceeded, MappingMeter, RequestMappingBudgetExceeded } from './mapping';

/**
 * Saving a role mapping, optionally applying it to existing users at once.
 *
 * Without `applyNow` users get their new roles at their next sign-in (roles are evaluated at every
 * sign-in) or SCIM event; the save is still refused when the rules are over the evaluation budget
 * for a user's kept attributes (refuseOverBudget), as applying them would be: that user's
 * sign-ins would be refused, and whoever may save rules could shut anyone out by saving heavy ones.
 *
 * With `applyNow`, in ONE transaction: the tenant row is locked, the mapping validated and saved
 * (`role_mapping.updated`, as `putRoleMapping` writes it, plus `appliedNow: true`), then every user
 * of the tenant with kept attributes is locked and re-evaluated under the new mapping over what
 * the rules saw at their last sign-in (lib/provisioning/impact.ts `userRuleInput`); each user whose
 * roles change is updated and gets one `user.roles_changed` event (before/after, added/removed,
 * `cause: "role_mapping.applied"`). If anything fails, nothing is saved and no role changes.
 * Users without kept attributes are left as they are (their roles change at their next sign-in).
 *
 * Over budget: when the new mapping, evaluated over one user's kept attributes, is over the
 * evaluation budget (lib/provisioning/mapping.ts), the whole save is refused with a 400 naming
 * the user and the costliest rule, and nothing is written — not the mapping, not any role. (The
 * alternative, skipping that user, would leave roles that the saved rules no longer give, and that
 * user could not sign in under them anyway: their sign-in would be refused the same way.) Between
 * users the event loop is given back every 20 ms, so a large tenant does not stall other requests.
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
  const db = await getDb();
  if (!opts.applyNow) {
    return db.transaction(async (tx) => {
      const next = await writeRoleMapping(tx, ctx, tenantId, input, { newRoles });
      await refuseOverBudget(tx, tenantId, next);
      return { mapping: next, applied: null };
    });
  }
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
  const pause = breather();
  const meter = new MappingMeter();
  for await (const page of tenantUsers(tx, tenantId, { withAttributes: true, forUpdate: true })) {
    // A page's changes go in two statements (its users' roles, its events), not two per user.
    const changes: { id: string; roles: string[] }[] = [];
    const events: AuditInput[] = [];
    for (const u of page) {
      await pause();
      let after: string[];
      try {
        after = evaluate(mapping, userRuleInput(u), { meter }).roles;
      } catch (e) {
        if (e instanceof RequestMappingBudgetExceeded) {
          const message = `these rules take too long to apply to every user at once (${e.evaluated} users took ${Math.round(e.spentMs)} ms, the budget of one request being ${e.budgetMs} ms). Nothing was saved: save without applying (each user's roles are then evaluated at their next sign-in or directory change), or simplify the rules`;
          throw new AppError(400, 'over_budget', `Role mapping refused: ${message}`, [{ path: 'rules', message }]);
        }
        if (!(e instanceof MappingBudgetExceeded)) throw e;
        throw overBudget(u.email, e);
      }
      const { added, removed } = diffRoles(u.roles, after);
      if (!added.length && !removed.length) continue;
      changes.push({ id: u.id, roles: after });
      events.push({
        tenantId,
        action: 'user.roles_changed',
        target: { type: 'user', id: u.id, label: u.email },
        details: { before: { roles: u.roles }, after: { roles: after }, added, removed, cause: 'role_mapping.applied' },
      });
      changed++;
      if (applied.length < MAX_RETURNED) applied.push({ userId: u.id, email: u.email, before: u.roles, after });
    }
    if (!changes.length) continue;
    await tx.execute(sql`
      update users as u set roles = array(select jsonb_array_elements_text(v.roles)), updated_at = ${now.toISOString()}::timestamptz
      from jsonb_to_recordset(${JSON.stringify(changes)}::jsonb) as v(id text, roles jsonb)
      where u.tenant_id = ${tenantId} and u.id = v.id`);
    await recordMany(tx, ctx, events);
  }
  return { changed, users: applied };
}

function overBudget(email: string, e: MappingBudgetExceeded): AppError {
  const where = e.heaviest ? `rule ${e.heaviest.index + 1} (${e.heaviest.operator} on ${e.heaviest.attribute})` : 'the rules';
  const message = `these rules cannot be applied: over the attributes kept for ${email} they would cost ${e.cost}, over the evaluation budget of ${e.budget} (costliest: ${where}); that user's sign-ins would be refused too. Nothing was saved; simplify the rules`;
  return new AppError(400, 'over_budget', `Role mapping refused: ${message}`, [{ path: e.heaviest ? `rules.${e.heaviest.index}` : 'rules', message }]);
}

/**
 * Refuses (400, naming the user and the costliest rule) a mapping whose evaluation over some
 * active user's kept attributes is over the budget. Only the cost is worked out (no rule runs), so every
 * user is checked, whatever the tenant's size.
 */
async function refuseOverBudget(tx: Tx, tenantId: string, mapping: RoleMapping): Promise<void> {
  const pause = breather();
  for await (const page of tenantUsers(tx, tenantId, { withAttributes: true })) {
    for (const u of page) {
      if (u.status !== 'active') continue; // signs in to nothing; reactivated, their roles are worked out then
      await pause();
      const { cost, heaviest } = evaluationCost(mapping, userRuleInput(u));
      if (cost > MAPPING_BUDGET) throw overBudget(u.email, new MappingBudgetExceeded(cost, MAPPING_BUDGET, heaviest));
    }
  }
}
