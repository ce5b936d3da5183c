/**
 * The live preview: the draft evaluated in the browser with the same pure `evaluate` the sign-in
 * uses (lib/provisioning/mapping.ts). Rules that are not complete or valid yet are left out (and
 * reported), exactly as if they were not there; a default role that is not one of the tenant's
 * roles counts as "No role". A sample over the evaluation budget gives no result but `overBudget`,
 * the reason a sign-in with it would be refused.
 */
import { evaluate, MappingBudgetExceeded, type Attributes } from '@/lib/provisioning/mapping';
import { ruleSchema, type Rule } from '@/lib/validation/role-mappings';
import { ruleInputOf, type Draft } from './draft';

export type DraftPreview = {
  roles: string[];
  /** Positions (0-based) of the rules that matched, in order. */
  fired: number[];
  /** Positions of rules left out because they are incomplete or invalid. */
  skipped: number[];
  /** No rule matched and the default role was given. */
  defaultApplied: boolean;
  defaultRole: string | null;
  /** Set when the draft over this sample is over the evaluation budget: no roles are computed. */
  overBudget: string | null;
};

export function previewDraft(draft: Draft, tenantRoles: readonly string[], input: Attributes): DraftPreview {
  const usable: { rule: Rule; index: number }[] = [];
  const skipped: number[] = [];
  draft.rules.forEach((r, index) => {
    const parsed = ruleSchema.safeParse(ruleInputOf(r));
    if (parsed.success && tenantRoles.includes(parsed.data.role)) usable.push({ rule: parsed.data, index });
    else skipped.push(index);
  });
  const defaultRole = tenantRoles.includes(draft.defaultRole) ? draft.defaultRole : null;
  let result;
  try {
    result = evaluate({ rules: usable.map((u) => u.rule), defaultRole }, input);
  } catch (e) {
    if (!(e instanceof MappingBudgetExceeded)) throw e;
    const rule = e.heaviest ? usable[e.heaviest.index].index + 1 : null;
    const overBudget = `These attributes are more than the rules can check in time${rule ? ` (costliest: rule ${rule}, on ${e.heaviest!.attribute})` : ''}: a sign-in with them would be refused. Send fewer or shorter values, or simplify the rules.`;
    return { roles: [], fired: [], skipped, defaultApplied: false, defaultRole, overBudget };
  }
  const matched = new Set(result.matched);
  const fired = usable.filter((u) => matched.has(u.rule)).map((u) => u.index);
  return { roles: result.roles, fired, skipped, defaultApplied: fired.length === 0 && defaultRole !== null, defaultRole, overBudget: null };
}
