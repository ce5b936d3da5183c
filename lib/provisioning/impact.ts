import 'server-only';
import { and, asc, count, desc, eq, gt, gte, isNotNull, sql } from 'drizzle-orm';
import { getDb, type Executor } from '../db/client';
import { AppError } from '../errors';
import { users, type User } from '../db/schema';
import { breather } from './breathe';
import { diffRoles, evaluate, MappingBudgetExceeded, MappingMeter, REQUEST_MAPPING_BUDGET_MS, type RoleMapping } from './mapping';

/**
 * What a role-mapping change would do to a tenant's existing users.
 *
 * Roles are evaluated at every sign-in from that sign-in's attributes (lib/provisioning/jit.ts),
 * and each user keeps the attributes of their last sign-in (`users.attributes`). So for every user
 * with kept attributes we know what the draft would give them: we evaluate it over exactly what
 * the rules saw at sign-in — the kept attributes plus `email` and `groups`
 * ({@link userRuleInput}) — and compare with the roles the user has now (`users.roles`).
 *
 * Decisions
 * - "Now" is the stored roles, not the saved mapping re-evaluated: that is what the user has, what
 *   "Apply now" replaces, and what its audit event records as `before`. The two differ only for a
 *   user whose roles are already out of date (the mapping changed since their last sign-in, or
 *   the roles were set another way); such a change is marked `pending` — it would happen at their
 *   next sign-in with or without this draft.
 * - Users without kept attributes (none from a sign-in or a directory, e.g. signed in before
 *   attributes were kept) cannot be evaluated: they are listed as unknown until their next sign-in.
 *   Users whose attributes came from SCIM (lib/scim/normalise.ts `mappingAttributes`, which
 *   already holds `email` and `groups`) are evaluated the same way.
 * - Suspended users are evaluated like the others (their roles apply again on reactivation) and
 *   marked as suspended.
 * - Over the evaluation budget (lib/provisioning/mapping.ts): a draft that is over it for some
 *   user is refused as a whole ({@link impactFor} answers 400 naming the user and the rule), as
 *   saving it with "Apply now" would be; a saved mapping over it for a user only makes that
 *   user's change not `pending`.
 * - Counts are complete; the lists are capped ({@link DEFAULT_LIST_LIMIT}) so that a tenant with
 *   many thousands of users gets a bounded answer. Users are read in pages of {@link PAGE_SIZE}.
 * - The preview runs as an admin edits, so its whole evaluation has a total budget
 *   ({@link IMPACT_BUDGET_MS} of evaluation time, on top of each user's): past it, it stops and
 *   says how many users it did not check (`notChecked`). "Apply now" covers everyone within the same
 *   budget, or is refused.
 */

export const DEFAULT_LIST_LIMIT = 200;
/** Evaluation time one impact preview may spend across all users: one request's, as for "apply now". */
export const IMPACT_BUDGET_MS = REQUEST_MAPPING_BUDGET_MS;
export const PAGE_SIZE = 1000;

/** The fields of a user the impact needs. */
export type ImpactUser = Pick<User, 'id' | 'email' | 'roles' | 'groups' | 'attributes' | 'status' | 'lastLoginAt'>;

export type RoleChange = {
  userId: string;
  email: string;
  status: User['status'];
  before: string[];
  after: string[];
  added: string[];
  removed: string[];
  /** The saved mapping already gives `after`: the change is due at the next sign-in anyway. */
  pending: boolean;
};

export type UnknownUser = { userId: string; email: string; status: User['status']; roles: string[] };

export type Impact = {
  /** Users with kept attributes, evaluated. */
  evaluated: number;
  /** Evaluated users whose roles would change (all of them; `changes` may be capped). */
  changedCount: number;
  changes: RoleChange[];
  /** Of `changedCount`, those that are due only to the draft (not already pending). */
  changedByDraft: number;
  /** Per role: how many users would gain it and how many would lose it. Sorted by role. */
  byRole: { role: string; gained: number; lost: number }[];
  /** Users without kept attributes (all of them counted; `unknown` may be capped). */
  unknownCount: number;
  unknown: UnknownUser[];
  /** Users not checked because the preview's total budget ran out (0: everyone was checked). */
  notChecked: number;
};

/** What the rules saw at this user's last sign-in: their kept attributes, `email` and `groups`. */
export function userRuleInput(u: Pick<User, 'email' | 'groups' | 'attributes'>): Record<string, string[]> {
  return { ...(u.attributes ?? {}), email: [u.email], groups: u.groups };
}

const sameRoles = (a: readonly string[], b: readonly string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((r, i) => r === y[i]);
};

/** The roles the saved mapping gives, or null when that is over the evaluation budget. */
function savedRoles(saved: RoleMapping, input: Record<string, string[]>): string[] | null {
  try {
    return evaluate(saved, input).roles;
  } catch (e) {
    if (e instanceof MappingBudgetExceeded) return null;
    throw e;
  }
}

/** The roles `draft` would give this user, and whether that differs from what they have. Null when unknown. */
export function userChange(saved: RoleMapping, draft: RoleMapping, u: ImpactUser): RoleChange | 'unchanged' | null {
  if (!u.attributes) return null;
  const input = userRuleInput(u);
  const after = evaluate(draft, input).roles;
  if (sameRoles(u.roles, after)) return 'unchanged';
  const before = [...new Set(u.roles)].sort();
  const { added, removed } = diffRoles(before, after);
  const now = savedRoles(saved, input);
  const pending = now !== null && sameRoles(now, after);
  return { userId: u.id, email: u.email, status: u.status, before, after, added, removed, pending };
}

/** Accumulates the impact over users fed in any number of batches. */
export function impactCollector(saved: RoleMapping, draft: RoleMapping, opts: { listLimit?: number } = {}) {
  const limit = opts.listLimit ?? DEFAULT_LIST_LIMIT;
  const impact: Impact = { evaluated: 0, changedCount: 0, changes: [], changedByDraft: 0, byRole: [], unknownCount: 0, unknown: [], notChecked: 0 };
  const gained = new Map<string, number>();
  const lost = new Map<string, number>();
  const bump = (m: Map<string, number>, r: string) => m.set(r, (m.get(r) ?? 0) + 1);
  return {
    add(u: ImpactUser) {
      const c = userChange(saved, draft, u);
      if (c === null) {
        impact.unknownCount++;
        if (impact.unknown.length < limit) impact.unknown.push({ userId: u.id, email: u.email, status: u.status, roles: [...u.roles].sort() });
        return;
      }
      impact.evaluated++;
      if (c === 'unchanged') return;
      impact.changedCount++;
      if (!c.pending) impact.changedByDraft++;
      c.added.forEach((r) => bump(gained, r));
      c.removed.forEach((r) => bump(lost, r));
      if (impact.changes.length < limit) impact.changes.push(c);
    },
    /** Ends the preview early: `n` users were left unchecked. */
    stop(n: number) {
      impact.notChecked = n;
    },
    result(): Impact {
      const roles = [...new Set([...gained.keys(), ...lost.keys()])].sort();
      return { ...impact, byRole: roles.map((role) => ({ role, gained: gained.get(role) ?? 0, lost: lost.get(role) ?? 0 })) };
    },
  };
}

/** The impact of replacing `saved` with `draft` on these users (pure). */
export function computeImpact(saved: RoleMapping, draft: RoleMapping, list: Iterable<ImpactUser>, opts: { listLimit?: number } = {}): Impact {
  const c = impactCollector(saved, draft, opts);
  for (const u of list) c.add(u);
  return c.result();
}

const impactColumns = {
  id: users.id,
  email: users.email,
  roles: users.roles,
  groups: users.groups,
  attributes: users.attributes,
  status: users.status,
  lastLoginAt: users.lastLoginAt,
};

/** A tenant's users, in pages ordered by id (optionally only those with kept attributes, locked). */
export async function* tenantUsers(
  db: Executor,
  tenantId: string,
  opts: { withAttributes?: boolean; forUpdate?: boolean } = {},
): AsyncGenerator<ImpactUser[]> {
  let cursor: string | null = null;
  for (;;) {
    const conds = [eq(users.tenantId, tenantId)];
    if (opts.withAttributes) conds.push(isNotNull(users.attributes));
    if (cursor) conds.push(gt(users.id, cursor));
    const q = db.select(impactColumns).from(users).where(and(...conds)).orderBy(asc(users.id)).limit(PAGE_SIZE);
    const rows: ImpactUser[] = opts.forUpdate ? await q.for('update') : await q;
    if (rows.length) yield rows;
    if (rows.length < PAGE_SIZE) return;
    cursor = rows[rows.length - 1].id;
  }
}

/**
 * The impact of `draft` on tenant `tenantId`, whose saved mapping is `saved`, within `budgetMs` of
 * evaluation time in all (then `notChecked` counts the users left).
 */
export async function impactFor(
  tenantId: string,
  saved: RoleMapping,
  draft: RoleMapping,
  opts: { listLimit?: number; budgetMs?: number } = {},
): Promise<Impact> {
  const db = await getDb();
  const c = impactCollector(saved, draft, opts);
  const meter = new MappingMeter(opts.budgetMs ?? IMPACT_BUDGET_MS);
  const pause = breather(); // other requests run between users
  for await (const page of tenantUsers(db, tenantId)) {
    for (const u of page) {
      if (meter.spentMs >= meter.budgetMs) {
        const [{ n }] = await db.select({ n: count() }).from(users).where(and(eq(users.tenantId, tenantId), gte(users.id, u.id)));
        c.stop(n);
        return c.result();
      }
      await pause();
      const started = performance.now();
      try {
        c.add(u);
        meter.add(performance.now() - started);
      } catch (e) {
        if (!(e instanceof MappingBudgetExceeded)) throw e;
        const where = e.heaviest ? `rule ${e.heaviest.index + 1} (${e.heaviest.operator} on ${e.heaviest.attribute})` : 'the rules';
        const message = `over the attributes kept for ${u.email} these rules would cost ${e.cost}, over the evaluation budget of ${e.budget} (costliest: ${where}); they could not be applied and that user's sign-ins would be refused. Simplify the rules`;
        throw new AppError(400, 'over_budget', message, [{ path: e.heaviest ? `rules.${e.heaviest.index}` : 'rules', message }]);
      }
    }
  }
  return c.result();
}

/** Recent sign-ins whose attributes were kept, most recent first: the preview's samples. */
export async function recentSignIns(tenantId: string, limit = 20): Promise<{ userId: string; email: string; lastLoginAt: string | null }[]> {
  const db = await getDb();
  const rows = await db
    .select({ id: users.id, email: users.email, lastLoginAt: users.lastLoginAt })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), isNotNull(users.attributes)))
    .orderBy(sql`${users.lastLoginAt} desc nulls last`, desc(users.id))
    .limit(limit);
  return rows.map((r) => ({ userId: r.id, email: r.email, lastLoginAt: r.lastLoginAt?.toISOString() ?? null }));
}

/** What the rules saw at this user's last sign-in, or null (unknown user, or no kept attributes). */
export async function signInSample(tenantId: string, userId: string): Promise<{ email: string; attributes: Record<string, string[]> } | null> {
  const db = await getDb();
  const [u] = await db
    .select({ email: users.email, groups: users.groups, attributes: users.attributes })
    .from(users)
    .where(and(eq(users.tenantId, tenantId), eq(users.id, userId)));
  if (!u?.attributes) return null;
  return { email: u.email, attributes: userRuleInput(u) };
}
