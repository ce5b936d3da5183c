import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { scimGroupMembers, scimGroups, scimUsers, type ScimGroupRow, type ScimUserRow } from '../db/schema';
import { attributeListProblem, FALLBACK_LIMIT, FALLBACK_MAX_CHARS, FALLBACK_MAX_WORK, filterProblem, filterTerms, MAX_LIST_MEMBERS } from './budgets';
import { coerce, plain, scimError, type ScimContext } from './context';
import { filterToSql } from './filter-sql';
import type { ListParams } from './normalise';
import { LIST_RESPONSE, SCIMMY } from './scimmy';

type Filter = InstanceType<typeof SCIMMY.Types.Filter>;
export type Attrs = Filter | undefined;

/** The parser's own reason (a SCIM error naming the token), never the words of a crash inside it. */
const parseFailure = (e: unknown) => (e instanceof SCIMMY.Types.Error ? e.message : 'not a SCIM filter expression (attribute operator value, RFC 7644 §3.4.2.2)');

/** `attributes` / `excludedAttributes` as SCIMMY's attribute filter (as its Resource would build it). */
export function attributeFilter(p: { attributes?: string; excludedAttributes?: string }): Attrs {
  const build = (list: string, op: 'pr' | 'np') => {
    const over = attributeListProblem(list, op === 'pr' ? 'attributes' : 'excludedAttributes');
    if (over) throw scimError(400, 'invalidFilter', over);
    const names = list.split(',').map((s) => s.trim()).filter(Boolean);
    if (!names.length) return undefined;
    try {
      return new SCIMMY.Types.Filter(names.map((a) => `${a} ${op}`).join(' and '));
    } catch (e) {
      throw scimError(400, 'invalidFilter', `Invalid ${op === 'pr' ? 'attributes' : 'excludedAttributes'}: ${parseFailure(e)}`);
    }
  };
  if (p.attributes) return build(p.attributes, 'pr');
  if (p.excludedAttributes) return build(p.excludedAttributes, 'np');
  return undefined;
}

/** Does this attribute filter leave out `members`? (Then a group's members are not even read.) */
export function excludesMembers(attrs: Attrs, p: { attributes?: string; excludedAttributes?: string }): boolean {
  if (!attrs) return false;
  const names = (p.attributes ?? p.excludedAttributes ?? '').split(',').map((s) => s.trim().toLowerCase());
  const mentioned = names.some((n) => n === 'members' || n.startsWith('members.') || n === 'urn:ietf:params:scim:schemas:core:2.0:group:members');
  return p.attributes ? !mentioned : mentioned;
}

/**
 * `urn:ietf:params:scim:schemas:core:2.0:User:userName` → `userName` (RFC 7644 §3.10 allows the
 * core schema's URN before an attribute name), outside quoted values only.
 */
export function unqualifyCore(expr: string): string {
  return expr
    .split(/("(?:[^"\\]|\\.)*")/)
    .map((part, i) => (i % 2 ? part : part.replace(/urn:ietf:params:scim:schemas:core:2\.0:(?:User|Group):(?=[A-Za-z])/gi, '')))
    .join('');
}

export function parseFilter(expr: string): Filter {
  const over = filterProblem(expr);
  if (over) throw scimError(400, 'invalidFilter', over);
  try {
    return new SCIMMY.Types.Filter(unqualifyCore(expr));
  } catch (e) {
    if (e instanceof SCIMMY.Types.Error) throw e;
    throw scimError(400, 'invalidFilter', parseFailure(e));
  }
}

const meta = (resourceType: string, row: { createdAt: Date; updatedAt: Date; version: number }) => ({
  resourceType,
  created: row.createdAt.toISOString(),
  lastModified: row.updatedAt.toISOString(),
  version: `W/"${row.version}"`,
});

export type GroupRef = { id: string; displayName: string };

/**
 * A stored SCIM user as its SCIM representation (RFC 7643 §4.1). The stored resource was already
 * coerced by SCIMMY's schema when written, so without an attribute filter it is assembled directly
 * (the same document SCIMMY's output coercion gives — resources.test.ts holds them equal);
 * with one, SCIMMY applies the filter.
 */
/** `groups` null: the user is in more groups than one answer renders (MAX_LIST_MEMBERS); the attribute is left out. */
export function userOut(c: Pick<ScimContext, 'base'>, row: ScimUserRow, groups: GroupRef[] | null, attrs?: Attrs): Record<string, unknown> {
  if (!attrs) return userOutDirect(c, row, groups);
  return userOutScimmy(c, row, groups, attrs);
}

const groupRefs = (c: Pick<ScimContext, 'base'>, groups: GroupRef[]) =>
  groups.map((g) => ({ value: g.id, $ref: `${c.base}/Groups/${g.id}`, display: g.displayName, type: 'direct' }));

export function userOutDirect(c: Pick<ScimContext, 'base'>, row: ScimUserRow, groups: GroupRef[] | null): Record<string, unknown> {
  const { schemas, id: _id, meta: _meta, externalId: _ext, userName: _un, active: _a, groups: _g, password: _p, ...rest } = structuredClone(row.resource) as Record<string, unknown>;
  return {
    schemas: Array.isArray(schemas) && schemas.length ? schemas : ['urn:ietf:params:scim:schemas:core:2.0:User'],
    id: row.id,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    meta: { ...meta('User', row), location: `${c.base}/Users/${row.id}` },
    userName: row.userName,
    ...rest,
    active: row.active,
    ...(groups ? { groups: groupRefs(c, groups) } : {}),
  };
}

export function userOutScimmy(c: Pick<ScimContext, 'base'>, row: ScimUserRow, groups: GroupRef[] | null, attrs?: Attrs): Record<string, unknown> {
  const data = {
    ...row.resource,
    id: row.id,
    userName: row.userName,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    active: row.active,
    ...(groups ? { groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${c.base}/Groups/${g.id}`, type: 'direct' })) } : {}),
    meta: meta('User', row),
  };
  return plain(new SCIMMY.Schemas.User(data, 'out', `${c.base}/Users`, attrs));
}

export type MemberRef = { id: string; userName: string; displayName: string | null };

export function groupOut(c: Pick<ScimContext, 'base'>, row: ScimGroupRow, members: MemberRef[] | null, attrs?: Attrs): Record<string, unknown> {
  const data = {
    id: row.id,
    displayName: row.displayName,
    ...(row.externalId !== null ? { externalId: row.externalId } : {}),
    ...(members ? { members: members.map((m) => ({ value: m.id, display: m.displayName ?? m.userName, $ref: `${c.base}/Users/${m.id}`, type: 'User' })) } : {}),
    meta: meta('Group', row),
  };
  return plain(new SCIMMY.Schemas.Group(data, 'out', `${c.base}/Groups`, attrs));
}

/**
 * The groups of these users (of this directory), by user id; at most MAX_LIST_MEMBERS of each
 * are read, and a user in more gets null (its `groups` left out of the answer).
 */
export async function groupsOfUsers(c: ScimContext, userIds: string[]): Promise<Map<string, GroupRef[] | null>> {
  const map = new Map<string, GroupRef[] | null>(userIds.map((id) => [id, []]));
  if (!userIds.length) return map;
  const rows = (await c.tx.execute(sql`select u.id as "userId", g.id, g.display_name as "displayName"
      from unnest(array[${sql.join(userIds.map((id) => sql`${id}`), sql`, `)}]::text[]) as u(id)
      cross join lateral (select sg.id, sg.display_name from scim_group_members m join scim_groups sg on sg.id = m.group_id
        where m.directory_id = ${c.directory.id} and m.user_id = u.id order by sg.display_name limit ${MAX_LIST_MEMBERS + 1}) g`)) as unknown as { rows: { userId: string; id: string; displayName: string }[] };
  for (const r of rows.rows) map.get(r.userId)?.push({ id: r.id, displayName: r.displayName });
  for (const [id, groups] of map) if (groups && groups.length > MAX_LIST_MEMBERS) map.set(id, null);
  return map;
}

/** How many of these users, in order, a list answer renders within MAX_LIST_MEMBERS group references (at least one). */
async function usersWithinGroupBudget(c: ScimContext, userIds: string[]): Promise<number> {
  const counts = await c.tx
    .select({ userId: scimGroupMembers.userId, n: count() })
    .from(scimGroupMembers)
    .where(and(eq(scimGroupMembers.directoryId, c.directory.id), inArray(scimGroupMembers.userId, userIds)))
    .groupBy(scimGroupMembers.userId);
  const of = new Map(counts.map((r) => [r.userId, Number(r.n)]));
  let sum = 0;
  for (const [i, id] of userIds.entries()) {
    sum += of.get(id) ?? 0;
    if (sum > MAX_LIST_MEMBERS) return Math.max(1, i);
  }
  return userIds.length;
}

/** The members of these groups (of this directory), by group id. */
export async function membersOfGroups(c: ScimContext, groupIds: string[]): Promise<Map<string, MemberRef[]>> {
  const map = new Map<string, MemberRef[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return map;
  const rows = await c.tx
    .select({
      groupId: scimGroupMembers.groupId,
      id: scimUsers.id,
      // A member's display is at most 256 characters: a group's answer stays within its member count's size.
      userName: sql<string>`left(${scimUsers.userName}, 256)`,
      displayName: sql<string | null>`left(${scimUsers.resource}->>'displayName', 256)`,
    })
    .from(scimGroupMembers)
    .innerJoin(scimUsers, eq(scimUsers.id, scimGroupMembers.userId))
    .where(and(eq(scimGroupMembers.directoryId, c.directory.id), inArray(scimGroupMembers.groupId, groupIds)))
    .orderBy(asc(scimUsers.id));
  for (const r of rows) map.get(r.groupId)?.push({ id: r.id, userName: r.userName, displayName: r.displayName });
  return map;
}

/** How many members each of these groups has (counted, none read). */
export async function memberCounts(c: ScimContext, groupIds: string[]): Promise<Map<string, number>> {
  const counts = await c.tx
    .select({ groupId: scimGroupMembers.groupId, n: count() })
    .from(scimGroupMembers)
    .where(and(eq(scimGroupMembers.directoryId, c.directory.id), inArray(scimGroupMembers.groupId, groupIds)))
    .groupBy(scimGroupMembers.groupId);
  return new Map(counts.map((r) => [r.groupId, Number(r.n)]));
}

/** The answer to a read of a group too large to render with its members (MAX_LIST_MEMBERS). */
export const tooManyMembers = (name: string, n: number) =>
  scimError(400, 'tooMany', `Group ${name} has ${n} members; at most ${MAX_LIST_MEMBERS} are rendered in one answer: read it with excludedAttributes=members`);

/**
 * How many of these groups, in order, a list answer renders within MAX_LIST_MEMBERS members; a
 * first group over it alone is refused (400 tooMany).
 */
async function groupsWithinMemberBudget(c: ScimContext, groups: { id: string; displayName: string }[]): Promise<number> {
  const of = await memberCounts(c, groups.map((g) => g.id));
  let sum = 0;
  for (const [i, g] of groups.entries()) {
    sum += of.get(g.id) ?? 0;
    if (sum > MAX_LIST_MEMBERS) {
      if (i === 0) throw tooManyMembers(g.displayName, sum);
      return i;
    }
  }
  return groups.length;
}

/**
 * A list request (`GET /Users`, `GET /Groups`, `POST /.search`): filter translated to SQL and
 * scoped to the directory, paged by startIndex/count, as a ListResponse.
 */
export async function listResources(c: ScimContext, kind: 'User' | 'Group', p: ListParams): Promise<Record<string, unknown>> {
  const attrs = attributeFilter(p);
  const filter = p.filter !== undefined ? parseFilter(p.filter) : null;
  const table = kind === 'User' ? scimUsers : scimGroups;
  const scope = eq(table.directoryId, c.directory.id);
  const translated: SQL | null | undefined = filter ? filterToSql(kind, filter as unknown as Record<string, unknown>[]) : undefined;
  const withMembers = kind === 'Group' && !excludesMembers(attrs, p);

  const render = async (rows: (ScimUserRow | ScimGroupRow)[], a: Attrs) => {
    if (kind === 'User') {
      const groups = await groupsOfUsers(c, rows.map((r) => r.id));
      return rows.map((r) => userOut(c, r as ScimUserRow, groups.get(r.id) ?? null, a));
    }
    const members = withMembers ? await membersOfGroups(c, rows.map((r) => r.id)) : null;
    return rows.map((r) => groupOut(c, r as ScimGroupRow, members ? (members.get(r.id) ?? []) : null, a));
  };

  let total: number;
  let resources: Record<string, unknown>[];
  if (translated === null) {
    // No SQL for this filter: match in memory over the directory's resources (full representations),
    // only while the directory is small enough for that (budgets.ts); beyond, 400 tooMany.
    // A user's size is its stored resource; a group's its names (members are bounded below).
    // Users: their stored resources and their group references (the directory's memberships);
    // groups: their names (members are bounded below).
    const size =
      kind === 'User'
        ? sql`coalesce(sum(octet_length(${scimUsers.resource}::text)), 0) + 150 * (select count(*) from scim_group_members m where m.directory_id = ${c.directory.id})`
        : sql`coalesce(sum(octet_length(${scimGroups.displayName}) + coalesce(octet_length(${scimGroups.externalId}), 0) + 100), 0)`;
    const [{ n, chars }] = await c.tx.select({ n: count(), chars: sql<string>`${size}` }).from(table).where(scope);
    const instead = `filter on ${kind === 'User' ? 'id, userName, externalId or emails' : 'id, displayName, externalId or members'} instead`;
    const every = `This filter can only be answered by reading every ${kind === 'User' ? 'user' : 'group'}`;
    if (Number(n) > FALLBACK_LIMIT) throw scimError(400, 'tooMany', `${every}, and this directory holds more than ${FALLBACK_LIMIT}; ${instead}`);
    const mb = (x: number) => `${(x / 1e6).toFixed(1)} MB`;
    if (Number(chars) > FALLBACK_MAX_CHARS) throw scimError(400, 'tooMany', `${every}, and they hold ${mb(Number(chars))}; at most ${FALLBACK_MAX_CHARS / 1e6} MB are read for one; ${instead}`);
    const terms = filterTerms(p.filter!);
    if (Number(chars) * terms > FALLBACK_MAX_WORK) {
      throw scimError(400, 'tooMany', `${every}, and matching its ${terms} terms over ${mb(Number(chars))} is too much work for one request; use fewer terms or ${instead}`);
    }
    if (withMembers) {
      const [{ m }] = await c.tx.select({ m: count() }).from(scimGroupMembers).where(eq(scimGroupMembers.directoryId, c.directory.id));
      if (Number(m) > MAX_LIST_MEMBERS) {
        throw scimError(400, 'tooMany', `This filter can only be answered by reading every group with its members, and this directory's groups have more than ${MAX_LIST_MEMBERS}; filter on id, displayName, externalId or members, or add excludedAttributes=members`);
      }
    }
    const all = await c.tx.select().from(table).where(scope).orderBy(asc(table.id)).limit(FALLBACK_LIMIT);
    const full = await render(all as (ScimUserRow | ScimGroupRow)[], undefined);
    let matched: Record<string, unknown>[];
    try {
      matched = filter!.match(full) as Record<string, unknown>[];
    } catch (e) {
      // The matcher fails on a sub-attribute of a simple attribute (`name.givenName.x`): the filter names nothing.
      if (e instanceof TypeError) throw scimError(400, 'invalidFilter', 'The filter names a sub-attribute of an attribute that has none');
      throw e;
    }
    total = matched.length;
    const page = matched.slice(p.startIndex - 1, p.startIndex - 1 + p.count);
    const Schema = kind === 'User' ? SCIMMY.Schemas.User : SCIMMY.Schemas.Group;
    resources = attrs ? page.map((r) => plain(coerce(() => new Schema(r, 'out', `${c.base}/${kind}s`, attrs)))) : page;
  } else {
    const where = translated ? and(scope, translated) : scope;
    const [{ n }] = await c.tx.select({ n: count() }).from(table).where(where);
    total = Number(n);
    let rows: (ScimUserRow | ScimGroupRow)[] =
      p.count === 0 || p.startIndex > total
        ? []
        : await c.tx.select().from(table).where(where).orderBy(asc(table.id)).limit(p.count).offset(p.startIndex - 1);
    if (withMembers && rows.length) rows = rows.slice(0, await groupsWithinMemberBudget(c, rows as ScimGroupRow[]));
    if (kind === 'User' && rows.length > 1) rows = rows.slice(0, await usersWithinGroupBudget(c, rows.map((r) => r.id)));
    resources = await render(rows, attrs);
  }
  c.summary.push(`${kind === 'User' ? 'users' : 'groups'}${p.filter ? ` where ${p.filter.slice(0, 200)}` : ''}: ${total} found`);
  return { schemas: [LIST_RESPONSE], totalResults: total, startIndex: p.startIndex, itemsPerPage: resources.length, Resources: resources };
}
