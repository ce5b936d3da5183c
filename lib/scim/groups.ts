import { and, eq, ne, sql } from 'drizzle-orm';
import { scimGroupMembers, scimGroups, scimUsers, type ScimGroupRow } from '../db/schema';
import { inList } from '../db/lists';
import { pagesOf } from '../db/pages';
import { newId } from '../ids';
import { MAX_LIST_MEMBERS, patchCost, patchProblem, patchWorkProblem } from './budgets';
import { coerce, notFound, plain, scimError, type ScimContext } from './context';
import { isObject, normalisePatch, normaliseResource, type Json, type JsonObject } from './normalise';
import { portalUsersOf, refreshPortalUsers } from './portal';
import { groupOut, memberCounts, membersOfGroups, tooManyMembers, type Attrs } from './resources';
import { SCIMMY } from './scimmy';

/**
 * SCIM Groups of one directory. Membership changes touch only the rows they name: adding one
 * member to a group of 10,000 inserts one row and recomputes one portal user. PATCH operations
 * of the shapes Okta and Entra send are applied directly ({@link compileGroupPatch}); anything
 * else goes through SCIMMY's PatchOp on the whole group.
 */

async function lockGroup(c: ScimContext, id: string): Promise<ScimGroupRow> {
  const [row] = await c.tx
    .select()
    .from(scimGroups)
    .where(and(eq(scimGroups.directoryId, c.directory.id), eq(scimGroups.id, id)))
    .for('update');
  if (!row) throw notFound('Group', id);
  return row;
}

/**
 * A group as answered. Its members are counted first: past MAX_LIST_MEMBERS a read is refused
 * (`tooLarge: 'refuse'`, 400 tooMany), and a write, made already, is answered without them.
 */
async function render(c: ScimContext, row: ScimGroupRow, attrs?: Attrs, withMembers = true, tooLarge: 'refuse' | 'omit' = 'omit') {
  const n = withMembers ? ((await memberCounts(c, [row.id])).get(row.id) ?? 0) : 0;
  if (n > MAX_LIST_MEMBERS && tooLarge === 'refuse') throw tooManyMembers(row.displayName, n);
  const members = withMembers && n <= MAX_LIST_MEMBERS ? ((await membersOfGroups(c, [row.id])).get(row.id) ?? []) : null;
  return groupOut(c, row, members, attrs);
}

export async function getGroup(c: ScimContext, id: string, attrs: Attrs, withMembers: boolean) {
  const [row] = await c.tx.select().from(scimGroups).where(and(eq(scimGroups.directoryId, c.directory.id), eq(scimGroups.id, id)));
  if (!row) throw notFound('Group', id);
  c.summary.push(`read group ${row.displayName}`);
  return render(c, row, attrs, withMembers, 'refuse');
}

function checkDisplayName(v: unknown): string {
  if (typeof v !== 'string' || !v.trim()) throw scimError(400, 'invalidValue', 'displayName must be a non-empty string');
  if (v.length > 512) throw scimError(400, 'invalidValue', 'displayName is longer than 512 characters');
  return v;
}

/** Member ids of a `members` value: `[{ value }]` or one `{ value }`. */
function memberIds(v: unknown): string[] | null {
  const list = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const out: string[] = [];
  for (const m of list) {
    if (!isObject(m) || typeof m.value !== 'string' || !m.value) return null;
    out.push(m.value);
  }
  return out;
}

/** Every id must be a user of this directory (an id of another directory is unknown here). */
async function checkMembers(c: ScimContext, ids: string[]) {
  const unique = [...new Set(ids)];
  if (!unique.length) return;
  const rows = await c.tx
    .select({ id: scimUsers.id })
    .from(scimUsers)
    .where(and(eq(scimUsers.directoryId, c.directory.id), inList(scimUsers.id, unique)));
  const found = new Set(rows.map((r) => r.id));
  const unknown = unique.filter((id) => !found.has(id));
  if (unknown.length) {
    throw scimError(400, 'invalidValue', `members refer to unknown users of this directory: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`);
  }
}

async function checkNameFree(c: ScimContext, name: string, exceptId: string) {
  const [taken] = await c.tx
    .select({ id: scimGroups.id })
    .from(scimGroups)
    .where(and(eq(scimGroups.directoryId, c.directory.id), sql`lower(${scimGroups.displayName}) = ${name.toLowerCase()}`, ne(scimGroups.id, exceptId)));
  if (taken) {
    c.outcome = 'conflict';
    throw scimError(409, 'uniqueness', `a group named ${name} already exists in this directory`);
  }
}

async function insertMembers(c: ScimContext, groupId: string, ids: string[]): Promise<string[]> {
  const added: string[] = [];
  for (const page of pagesOf([...new Set(ids)], 1000)) {
    const rows = await c.tx
      .insert(scimGroupMembers)
      .values(page.map((userId) => ({ groupId, userId, directoryId: c.directory.id })))
      .onConflictDoNothing()
      .returning({ userId: scimGroupMembers.userId });
    added.push(...rows.map((r) => r.userId));
  }
  return added;
}

async function deleteMembers(c: ScimContext, groupId: string, ids: string[] | 'all'): Promise<string[]> {
  if (ids !== 'all' && !ids.length) return [];
  const rows = await c.tx
    .delete(scimGroupMembers)
    .where(
      and(
        eq(scimGroupMembers.directoryId, c.directory.id),
        eq(scimGroupMembers.groupId, groupId),
        ...(ids === 'all' ? [] : [inList(scimGroupMembers.userId, [...new Set(ids)])]),
      ),
    )
    .returning({ userId: scimGroupMembers.userId });
  return rows.map((r) => r.userId);
}

async function currentMemberIds(c: ScimContext, groupId: string): Promise<string[]> {
  const rows = await c.tx
    .select({ userId: scimGroupMembers.userId })
    .from(scimGroupMembers)
    .where(and(eq(scimGroupMembers.directoryId, c.directory.id), eq(scimGroupMembers.groupId, groupId)));
  return rows.map((r) => r.userId);
}

/** Recomputes the portal users whose group list changed (members added/removed, or all members on a rename). */
async function refreshMembers(c: ScimContext, scimUserIds: string[]) {
  const portalIds = await portalUsersOf(c, [...new Set(scimUserIds)]);
  await refreshPortalUsers(c, portalIds);
}

const memberNote = (added: number, removed: number) => (added || removed ? `${added ? ` +${added}` : ''}${removed ? ` −${removed}` : ''} members` : '');

export async function createGroup(c: ScimContext, body: unknown) {
  const n = normaliseResource(body, 'Group');
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM Group)');
  const g = plain<JsonObject>(coerce(() => new SCIMMY.Schemas.Group(n.resource, 'in')));
  const displayName = checkDisplayName(g.displayName);
  const ids = memberIds(g.members);
  if (!ids) throw scimError(400, 'invalidValue', 'members must be a list of { value: <user id> }');
  await checkMembers(c, ids);
  const [row] = await c.tx
    .insert(scimGroups)
    .values({
      id: newId('scg'),
      directoryId: c.directory.id,
      tenantId: c.tenant.id,
      displayName,
      externalId: typeof g.externalId === 'string' ? g.externalId : null,
    })
    .onConflictDoNothing()
    .returning();
  if (!row) {
    c.outcome = 'conflict';
    throw scimError(409, 'uniqueness', `a group named ${displayName} already exists in this directory`);
  }
  const added = await insertMembers(c, row.id, ids);
  c.outcome = 'created';
  c.summary.push(`created group ${displayName}${memberNote(added.length, 0)}`);
  c.events.push({
    tenantId: c.tenant.id,
    action: 'group.created',
    target: { type: 'scim_group', id: row.id, label: displayName },
    details: { directoryId: c.directory.id, displayName, members: added.length },
  });
  await refreshMembers(c, added);
  return render(c, row);
}

type GroupState = { displayName: string; externalId: string | null; members: string[] };
/** What the answer should show: null for none (a PATCH's 204), else the resource under these attribute filters. */
export type Want = { attrs?: Attrs; withMembers: boolean } | null;
const FULL: Want = { withMembers: true };

/** Writes a group's new name/externalId and membership set; recomputes exactly the affected portal users. */
async function applyState(c: ScimContext, before: ScimGroupRow, next: GroupState, want: Want) {
  const displayName = checkDisplayName(next.displayName);
  const renamed = displayName !== before.displayName;
  if (renamed && displayName.toLowerCase() !== before.displayName.toLowerCase()) await checkNameFree(c, displayName, before.id);
  await checkMembers(c, next.members);
  const current = await currentMemberIds(c, before.id);
  const wanted = new Set(next.members);
  const have = new Set(current);
  const removed = await deleteMembers(c, before.id, current.filter((id) => !wanted.has(id)));
  const added = await insertMembers(c, before.id, [...wanted].filter((id) => !have.has(id)));
  return finish(c, before, { displayName, externalId: next.externalId, added, removed, renamed }, want);
}

async function finish(
  c: ScimContext,
  before: ScimGroupRow,
  ch: { displayName: string; externalId: string | null; added: string[]; removed: string[]; renamed: boolean },
  want: Want,
) {
  const changed = ch.renamed || ch.externalId !== before.externalId || ch.added.length > 0 || ch.removed.length > 0;
  if (!changed) {
    c.outcome = 'unchanged';
    c.summary.push(`group ${before.displayName}: no change`);
    return want ? render(c, before, want.attrs, want.withMembers) : null;
  }
  const [row] = await c.tx
    .update(scimGroups)
    .set({ displayName: ch.displayName, externalId: ch.externalId, version: sql`${scimGroups.version} + 1`, updatedAt: new Date() })
    .where(and(eq(scimGroups.directoryId, c.directory.id), eq(scimGroups.id, before.id)))
    .returning();
  c.outcome = 'updated';
  c.summary.push(`group ${ch.renamed ? `${before.displayName} → ${ch.displayName}` : ch.displayName}:${memberNote(ch.added.length, ch.removed.length) || ' attributes changed'}`);
  if (ch.renamed || ch.externalId !== before.externalId) {
    c.events.push({
      tenantId: c.tenant.id,
      action: 'group.updated',
      target: { type: 'scim_group', id: before.id, label: ch.displayName },
      details: {
        directoryId: c.directory.id,
        before: { displayName: before.displayName, externalId: before.externalId },
        after: { displayName: ch.displayName, externalId: ch.externalId },
      },
    });
  }
  const affected = ch.renamed ? [...(await currentMemberIds(c, before.id)), ...ch.removed] : [...ch.added, ...ch.removed];
  await refreshMembers(c, affected);
  return want ? render(c, row, want.attrs, want.withMembers) : null;
}

export async function replaceGroup(c: ScimContext, id: string, body: unknown) {
  const before = await lockGroup(c, id);
  const n = normaliseResource(body, 'Group');
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM Group)');
  const g = plain<JsonObject>(coerce(() => new SCIMMY.Schemas.Group(n.resource, 'in')));
  const ids = memberIds(g.members);
  if (!ids) throw scimError(400, 'invalidValue', 'members must be a list of { value: <user id> }');
  return applyState(c, before, {
    displayName: checkDisplayName(g.displayName),
    externalId: typeof g.externalId === 'string' ? g.externalId : null,
    members: ids,
  }, FULL);
}

type Action =
  | { kind: 'add'; ids: string[] }
  | { kind: 'remove'; ids: string[] }
  | { kind: 'removeAll' }
  | { kind: 'replace'; ids: string[] }
  | { kind: 'displayName'; value: string }
  | { kind: 'externalId'; value: string | null };

const MEMBER_FILTER = /^members\s*\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i;

/**
 * The PATCH operations Okta and Entra send for groups, as direct actions: add/remove/replace of
 * `members` by value list, `remove` of `members[value eq "…"]`, `displayName`/`externalId`, and
 * pathless maps of those (Okta's rename sends `{ id, displayName }`). Null when any operation is
 * of another shape (then SCIMMY applies the PatchOp to the whole group).
 */
export function compileGroupPatch(ops: unknown[], groupId: string): Action[] | null {
  const out: Action[] = [];
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw.op !== 'string') return null;
    const op = raw.op.toLowerCase();
    const path = typeof raw.path === 'string' ? raw.path : undefined;
    const value = raw.value as Json | undefined;
    if (path === undefined) {
      if (op === 'remove' || !isObject(value)) return null;
      for (const [k, v] of Object.entries(value)) {
        const key = k.toLowerCase();
        if (key === 'id' && v === groupId) continue;
        if (key === 'displayname' && typeof v === 'string') out.push({ kind: 'displayName', value: v });
        else if (key === 'externalid' && (typeof v === 'string' || v === null)) out.push({ kind: 'externalId', value: v });
        else if (key === 'members') {
          const ids = memberIds(v);
          if (!ids) return null;
          out.push(op === 'add' ? { kind: 'add', ids } : { kind: 'replace', ids });
        } else return null;
      }
      continue;
    }
    const p = path.trim();
    const lower = p.toLowerCase();
    if (lower === 'members') {
      if (op === 'remove') {
        if (value === undefined || value === null) out.push({ kind: 'removeAll' });
        else {
          const ids = memberIds(value);
          if (!ids) return null;
          out.push({ kind: 'remove', ids });
        }
      } else {
        const ids = memberIds(value);
        if (!ids) return null;
        out.push(op === 'add' ? { kind: 'add', ids } : { kind: 'replace', ids });
      }
      continue;
    }
    const m = MEMBER_FILTER.exec(p);
    if (m && op === 'remove') {
      out.push({ kind: 'remove', ids: [m[1]] });
      continue;
    }
    if (lower === 'displayname' && op !== 'remove' && typeof value === 'string') {
      out.push({ kind: 'displayName', value });
      continue;
    }
    if (lower === 'externalid') {
      if (op === 'remove') out.push({ kind: 'externalId', value: null });
      else if (typeof value === 'string') out.push({ kind: 'externalId', value });
      else return null;
      continue;
    }
    return null;
  }
  return out;
}

export async function patchGroup(c: ScimContext, id: string, body: unknown, want: Want) {
  const over = patchProblem(body);
  if (over) throw scimError(400, 'invalidValue', over);
  const n = normalisePatch(body);
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM PatchOp)');
  const patch = coerce(() => new SCIMMY.Messages.PatchOp(n.message as never));
  const before = await lockGroup(c, id);
  const actions = compileGroupPatch(patch.Operations as unknown[], before.id);

  if (!actions) {
    // Any other shape: SCIMMY applies it to the whole group, then we store the result; a group
    // too large to render is refused before any member is read.
    const n = (await memberCounts(c, [before.id])).get(before.id) ?? 0;
    if (n > MAX_LIST_MEMBERS) {
      throw scimError(400, 'invalidValue', `Group ${before.displayName} has ${n} members: too many for this kind of change (at most ${MAX_LIST_MEMBERS}); add or remove members by value instead`);
    }
    const members = (await membersOfGroups(c, [before.id])).get(before.id) ?? [];
    const current = groupOut(c, before, members);
    const cost = patchCost(patch.Operations as unknown[]);
    const tooMuch = patchWorkProblem(cost.operations, JSON.stringify(current).length + cost.valueChars, 'group');
    if (tooMuch) throw scimError(400, 'invalidValue', tooMuch);
    const instance = coerce(() => new SCIMMY.Schemas.Group(current, 'out'));
    let patched: unknown;
    try {
      patched = await patch.apply(instance);
    } catch (e) {
      if (e instanceof SCIMMY.Types.Error) throw e;
      if (e instanceof TypeError) throw scimError(400, 'invalidValue', e.message);
      throw e;
    }
    if (!patched) return finish(c, before, { displayName: before.displayName, externalId: before.externalId, added: [], removed: [], renamed: false }, want);
    const g = plain<JsonObject>(patched);
    const ids = memberIds(g.members);
    if (!ids) throw scimError(400, 'invalidValue', 'members must be a list of { value: <user id> }');
    return applyState(c, before, { displayName: g.displayName as string, externalId: typeof g.externalId === 'string' ? g.externalId : null, members: ids }, want);
  }

  // Direct path: fold the actions into a delta, then touch only the rows named.
  let displayName = before.displayName;
  let externalId = before.externalId;
  let fromEmpty = false;
  const add = new Set<string>();
  const remove = new Set<string>();
  for (const a of actions) {
    if (a.kind === 'displayName') displayName = checkDisplayName(a.value);
    else if (a.kind === 'externalId') externalId = a.value;
    else if (a.kind === 'add') for (const id of a.ids) (remove.delete(id), add.add(id));
    else if (a.kind === 'remove') for (const id of a.ids) (add.delete(id), remove.add(id));
    else {
      fromEmpty = true;
      add.clear();
      remove.clear();
      if (a.kind === 'replace') for (const id of a.ids) add.add(id);
    }
  }
  const renamed = displayName !== before.displayName;
  if (renamed && displayName.toLowerCase() !== before.displayName.toLowerCase()) await checkNameFree(c, displayName, before.id);
  await checkMembers(c, [...add]);
  let added: string[];
  let removed: string[];
  if (fromEmpty) {
    const current = await currentMemberIds(c, before.id);
    const have = new Set(current);
    removed = await deleteMembers(c, before.id, current.filter((id) => !add.has(id)));
    added = await insertMembers(c, before.id, [...add].filter((id) => !have.has(id)));
  } else {
    removed = await deleteMembers(c, before.id, [...remove]);
    added = await insertMembers(c, before.id, [...add]);
  }
  return finish(c, before, { displayName, externalId, added, removed, renamed }, want);
}

export async function deleteGroup(c: ScimContext, id: string) {
  const before = await lockGroup(c, id);
  const members = await currentMemberIds(c, before.id);
  await c.tx.delete(scimGroups).where(and(eq(scimGroups.directoryId, c.directory.id), eq(scimGroups.id, before.id)));
  c.outcome = 'deleted';
  c.summary.push(`deleted group ${before.displayName}${members.length ? ` (${members.length} members)` : ''}`);
  c.events.push({
    tenantId: c.tenant.id,
    action: 'group.deleted',
    target: { type: 'scim_group', id: before.id, label: before.displayName },
    details: { directoryId: c.directory.id, displayName: before.displayName, members: members.length },
  });
  await refreshMembers(c, members);
}
