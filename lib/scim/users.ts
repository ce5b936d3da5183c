import { and, eq, ne, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { scimUsers, users, type ScimUserRow } from '../db/schema';
import { newId } from '../ids';
import { coerce, notFound, plain, scimError, type ScimContext } from './context';
import { MAX_ATTRIBUTE_VALUES, patchCost, patchProblem, patchWorkProblem, userProblem } from './budgets';
import { emailValues, normalisePatch, normaliseResource, rewriteFilteredAdds, settlePrimary, splitPathlessReplaces, type JsonObject } from './normalise';
import { afterScimUserDeleted, announcePortalUserCreated, linkPortalUser, newPortalUserFor, refreshPortalUsers } from './portal';
import { groupsOfUsers, userOut, type Attrs } from './resources';
import { SCIMMY } from './scimmy';

/**
 * SCIM Users of one directory (RFC 7644 §3.3–3.6), on our tables. Every statement carries the
 * directory id; the caller runs each request in one transaction and answers after commit.
 */

type Stored = { resource: Record<string, unknown>; userName: string; externalId: string | null; active: boolean | undefined };

/**
 * Validates a (normalised) user through SCIMMY's User schema and returns what we store. A user
 * stored before the size limits existed may be written again (a deactivation) while it does not grow.
 */
function toStored(input: JsonObject, before?: ScimUserRow): Stored {
  const coerced = plain(coerce(() => new SCIMMY.Schemas.User(input, 'in')));
  delete coerced.meta;
  delete coerced.id;
  delete coerced.groups;
  delete coerced.password;
  const userName = coerced.userName;
  if (typeof userName !== 'string' || !userName.trim()) throw scimError(400, 'invalidValue', 'userName must be a non-empty string');
  if (userName.length > 512) throw scimError(400, 'invalidValue', 'userName is longer than 512 characters');
  const over = userProblem(coerced, before?.resource);
  if (over) throw scimError(400, 'invalidValue', over);
  const externalId = typeof coerced.externalId === 'string' ? coerced.externalId : null;
  const active = typeof coerced.active === 'boolean' ? coerced.active : undefined;
  return { resource: coerced, userName, externalId, active };
}

async function lockUser(c: ScimContext, id: string): Promise<ScimUserRow> {
  const [row] = await c.tx
    .select()
    .from(scimUsers)
    .where(and(eq(scimUsers.directoryId, c.directory.id), eq(scimUsers.id, id)))
    .for('update');
  if (!row) throw notFound('User', id);
  return row;
}

async function render(c: ScimContext, row: ScimUserRow, attrs?: Attrs) {
  const groups = await groupsOfUsers(c, [row.id]);
  return userOut(c, row, groups.get(row.id) ?? null, attrs);
}

export async function getUser(c: ScimContext, id: string, attrs?: Attrs) {
  const [row] = await c.tx.select().from(scimUsers).where(and(eq(scimUsers.directoryId, c.directory.id), eq(scimUsers.id, id)));
  if (!row) throw notFound('User', id);
  c.summary.push(`read user ${row.userName}`);
  return render(c, row, attrs);
}

const dropNote = (dropped: string[]) => (dropped.length ? ` (${[...new Set(dropped)].join(', ')} ignored)` : '');

/** What a POST /Users would store: the validated resource and, when its email is usable, a new portal user for it. */
function prepareCreate(c: ScimContext, body: unknown) {
  const n = normaliseResource(body, 'User');
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM User)');
  const s = toStored(n.resource);
  const active = s.active ?? true;
  const resource = { ...s.resource, active };
  const created = (portalUserId: string | null, at?: Date): Omit<ScimUserRow, 'version' | 'createdAt' | 'updatedAt'> & Partial<ScimUserRow> => ({
    id: newId('scu'),
    directoryId: c.directory.id,
    tenantId: c.tenant.id,
    userName: s.userName,
    externalId: s.externalId,
    active,
    emails: emailValues(s.resource),
    resource,
    portalUserId,
    ...(at ? { version: 1, createdAt: at, updatedAt: at } : {}),
  });
  const note = `created user ${s.userName}${active ? '' : ' (inactive)'}${dropNote(n.dropped)}`;
  return { s, active, resource, candidate: newPortalUserFor(c, resource, active), created, note };
}

/**
 * The common POST /Users — a person new to the tenant — as INSERTs to send in ONE statement with
 * the audit events and the request-log row, outside any explicit transaction (lib/scim/server.ts):
 * the portal user and the SCIM user linked to it. Pure: nothing is sent here. If the statement
 * fails on the tenant's email index (the person already has a portal user), nothing was stored
 * and the caller runs {@link createUser} instead; a taken userName fails it as a 409.
 * Null when there is no usable email (also {@link createUser}'s case). `tenantId` is what the
 * inserts store as tenant_id: the statement's authentication (lib/scim/auth.ts `authGuard`).
 */
export function planCreateUser(c: ScimContext, body: unknown, tenantId: SQL): { writes: SQLWrapper[]; answer: Record<string, unknown> } | null {
  const p = prepareCreate(c, body);
  if (!p.candidate) return null;
  const row = p.created(p.candidate.id, p.candidate.createdAt) as ScimUserRow;
  c.outcome = 'created';
  c.summary.push(p.note);
  announcePortalUserCreated(c, p.candidate, [row.id]);
  // tenant_id from the request's authentication, read in the same statement (lib/scim/auth.ts authGuard)
  const writes = [c.tx.insert(users).values({ ...p.candidate, tenantId }).getSQL(), c.tx.insert(scimUsers).values({ ...row, tenantId }).getSQL()];
  return { writes, answer: userOut(c, row, []) };
}

export async function createUser(c: ScimContext, body: unknown) {
  const { s, candidate, created, note } = prepareCreate(c, body);
  // The portal user (when its email is new to the tenant) as a CTE, then the SCIM user linked to
  // it — linked only if that insert happened. Otherwise (the email already has a portal user, or
  // there is no usable email) the SCIM user is linked afterwards.
  const portal = candidate ? c.tx.$with('portal').as(c.tx.insert(users).values(candidate).onConflictDoNothing().returning({ id: users.id })) : null;
  const values = { ...created(null), portalUserId: portal ? sql<string | null>`(select id from ${portal})` : null };
  const [row] = await (portal ? c.tx.with(portal).insert(scimUsers) : c.tx.insert(scimUsers)).values(values).onConflictDoNothing().returning();
  const fresh = candidate && row?.portalUserId === candidate.id ? candidate : null;
  if (!row) {
    c.outcome = 'conflict';
    throw scimError(409, 'uniqueness', `userName ${s.userName} already exists in this directory`);
  }
  c.outcome = 'created';
  c.summary.push(note);
  if (fresh) {
    announcePortalUserCreated(c, fresh, [row.id]);
  } else {
    const link = await linkPortalUser(c, row);
    if (link.portalUserId) {
      await refreshPortalUsers(c, [link.portalUserId], { [link.portalUserId]: { created: link.created } });
      row.portalUserId = link.portalUserId;
    } else {
      c.summary.push('no usable email: no portal user');
    }
  }
  return userOut(c, row, []); // a new user is in no group yet
}

/** Stores a new version of a user (PUT, or PATCH after its operations were applied). */
async function writeUser(c: ScimContext, before: ScimUserRow, s: Stored, note: string) {
  const active = s.active ?? before.active;
  const resource = { ...s.resource, active };
  const same =
    before.userName === s.userName &&
    before.externalId === s.externalId &&
    before.active === active &&
    JSON.stringify(before.resource) === JSON.stringify(resource);
  if (same) {
    c.outcome = 'unchanged';
    c.summary.push(`user ${before.userName}: no change${note}`);
    return render(c, before);
  }
  if (s.userName.toLowerCase() !== before.userName.toLowerCase()) {
    const [taken] = await c.tx
      .select({ id: scimUsers.id })
      .from(scimUsers)
      .where(and(eq(scimUsers.directoryId, c.directory.id), sql`lower(${scimUsers.userName}) = ${s.userName.toLowerCase()}`, ne(scimUsers.id, before.id)));
    if (taken) {
      c.outcome = 'conflict';
      throw scimError(409, 'uniqueness', `userName ${s.userName} already exists in this directory`);
    }
  }
  const [row] = await c.tx
    .update(scimUsers)
    .set({
      userName: s.userName,
      externalId: s.externalId,
      active,
      emails: emailValues(resource),
      resource,
      version: sql`${scimUsers.version} + 1`,
      updatedAt: new Date(),
    })
    .where(and(eq(scimUsers.directoryId, c.directory.id), eq(scimUsers.id, before.id)))
    .returning();
  c.outcome = 'updated';
  const what: string[] = [];
  if (before.userName !== row.userName) what.push(`renamed ${before.userName} → ${row.userName}`);
  if (before.active !== row.active) what.push(row.active ? 'activated' : 'deactivated');
  if (!what.length) what.push('attributes changed');
  c.summary.push(`user ${row.userName}: ${what.join(', ')}${note}`);
  const link = await linkPortalUser(c, row);
  if (link.portalUserId) {
    await refreshPortalUsers(c, [link.portalUserId, ...(link.previous ? [link.previous] : [])], { [link.portalUserId]: { created: link.created } });
    row.portalUserId = link.portalUserId;
  }
  return render(c, row);
}

export async function replaceUser(c: ScimContext, id: string, body: unknown) {
  const before = await lockUser(c, id);
  const n = normaliseResource(body, 'User');
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM User)');
  return writeUser(c, before, toStored(n.resource, before), dropNote(n.dropped));
}

export async function patchUser(c: ScimContext, id: string, body: unknown) {
  const over = patchProblem(body);
  if (over) throw scimError(400, 'invalidValue', over);
  const n = normalisePatch(body);
  if (!n) throw scimError(400, 'invalidSyntax', 'The request body must be a JSON object (a SCIM PatchOp)');
  // Validate the message before touching anything (unknown op, missing Operations, …).
  if (!n.noop) coerce(() => new SCIMMY.Messages.PatchOp(n.message as never));
  const before = await lockUser(c, id);
  if (n.noop) {
    c.outcome = 'unchanged';
    c.summary.push(`user ${before.userName}: no change${dropNote(n.dropped)}`);
    return render(c, before);
  }
  const current = plain<Record<string, unknown>>(
    coerce(() => new SCIMMY.Schemas.User({ ...before.resource, id: before.id, userName: before.userName, active: before.active }, 'out')),
  );
  const message = { ...n.message, Operations: rewriteFilteredAdds(splitPathlessReplaces(n.message.Operations), current) };
  // Charged before any operation runs, on what the PATCH brings as well as on the user.
  const cost = patchCost(Array.isArray(message.Operations) ? message.Operations : []);
  if (cost.largestList > MAX_ATTRIBUTE_VALUES) {
    throw scimError(400, 'invalidValue', `An operation's value holds ${cost.largestList} values; at most ${MAX_ATTRIBUTE_VALUES} are accepted in one attribute`);
  }
  const tooMuch = patchWorkProblem(cost.operations, JSON.stringify(current).length + cost.valueChars);
  if (tooMuch) throw scimError(400, 'invalidValue', tooMuch);
  const patch = coerce(() => new SCIMMY.Messages.PatchOp(message as never));
  const instance = coerce(() => new SCIMMY.Schemas.User(current, 'out'));
  let patched: unknown;
  try {
    patched = await patch.apply(instance);
  } catch (e) {
    if (e instanceof SCIMMY.Types.Error) throw e;
    if (e instanceof TypeError) throw scimError(400, 'invalidValue', e.message);
    throw e;
  }
  if (!patched) {
    c.outcome = 'unchanged';
    c.summary.push(`user ${before.userName}: no change${dropNote(n.dropped)}`);
    return render(c, before);
  }
  const next = settlePrimary(current, plain<JsonObject>(patched));
  return writeUser(c, before, toStored(next, before), dropNote(n.dropped));
}

export async function deleteUser(c: ScimContext, id: string) {
  const before = await lockUser(c, id);
  await c.tx.delete(scimUsers).where(and(eq(scimUsers.directoryId, c.directory.id), eq(scimUsers.id, before.id)));
  c.outcome = 'deleted';
  c.summary.push(`deleted user ${before.userName}`);
  await afterScimUserDeleted(c, before);
}
