import { changes } from '../audit/record';

/** Group lists longer than this are not written whole into a `user.updated` event: only the groups that changed. */
export const GROUPS_IN_EVENT = 50;

/**
 * The `details` of a `user.updated` event (a sign-in's or a directory's): the changed fields before
 * and after, and when the groups changed, `groupsAdded` and `groupsRemoved`. Up to GROUPS_IN_EVENT
 * groups, `groups` holds the whole lists; beyond, only the groups that left (`before`) and came
 * (`after`), with `groupCount` and `groupsListed: "changes"`: an IdP or a directory adding a user
 * to one group after another would otherwise store the whole list again at each step. Null when
 * nothing is left to tell (no change, or only the same groups in another order beyond the limit).
 */
export function userChanges<T extends { groups?: string[] }>(before: T, after: T): Record<string, unknown> | null {
  const changed = changes(before, after);
  if (!changed) return null;
  if (!changed.after.groups) return changed;
  const [b, a] = [changed.before.groups ?? [], changed.after.groups];
  const had = new Set(b);
  const has = new Set(a);
  const moved = { groupsAdded: a.filter((g) => !had.has(g)), groupsRemoved: b.filter((g) => !has.has(g)) };
  if (b.length <= GROUPS_IN_EVENT && a.length <= GROUPS_IN_EVENT) return { ...changed, ...moved };
  const { groups: _b, ...restBefore } = changed.before;
  const { groups: _a, ...restAfter } = changed.after;
  if (!moved.groupsAdded.length && !moved.groupsRemoved.length) return Object.keys(restAfter).length ? { before: restBefore, after: restAfter } : null;
  return {
    before: { ...restBefore, groups: moved.groupsRemoved, groupCount: b.length },
    after: { ...restAfter, groups: moved.groupsAdded, groupCount: a.length },
    groupsListed: 'changes',
    ...moved,
  };
}
