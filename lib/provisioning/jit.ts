import 'server-only';
import { and, eq, or, sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { auditInsert, type AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import { sectionsAbove } from '../auth/permissions';
import { dbHandle, getDb, type Executor, type Tx } from '../db/client';
import { pgError } from '../errors';
import { sessions, tenants, userIdentities, users, type Connection, type SessionSso, type User } from '../db/schema';
import { signInTenant, type SignInTenant } from '../dal/sign-in';
import type { TenantWithDomains } from '../dal/tenants';
import { newId } from '../ids';
import { LoginRejected } from '../sso/failures';
import { emailDomain } from '../utils';
import { textArray } from '../db/lists';
import { nextTurn } from './breathe';
import { userChanges } from './user-changes';
import { diffRoles, evaluate, evaluationCost, MAPPING_BUDGET, MappingBudgetExceeded, type Attributes, type RoleMapping } from './mapping';

/** What an IdP said about the person signing in, normalised from a SAML assertion or OIDC claims. */
export type IdpProfile = {
  subject: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  groups: string[];
  /** Every attribute/claim as sent (by name, and by friendly name where SAML gives one). */
  attributes: Record<string, string[]>;
  /**
   * Set when what the IdP sent is over the sign-in's limits (lib/sso/flow.ts `toIdpProfile`:
   * too many attributes or values, a value too long); attributes and groups are then empty and
   * {@link signInUser} refuses with this reason before anything else.
   */
  refusal?: 'too_many_attributes';
  /**
   * OIDC: whether the provider vouches for `email` (`email_verified` true, from the same source as
   * the email; lib/sso/oidc/claims.ts). Absent for SAML, whose signed assertion states the email.
   */
  emailVerified?: boolean;
};

export const USER_SESSION_TTL_SECONDS = 8 * 60 * 60;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The attributes the mapping rules see: the IdP's own, plus `email` (as the portal stores it,
 * lower-case, so a rule gives the same roles at sign-in as when applied to stored users) and `groups`.
 */
export function mappingInput(p: IdpProfile): Record<string, string[]> {
  const email = p.email?.trim().toLowerCase();
  return { ...p.attributes, email: email ? [email] : [], groups: p.groups };
}

export function rolesFor(tenant: TenantWithDomains, p: IdpProfile): string[] {
  return signInRoles({ rules: tenant.roleRules, defaultRole: tenant.defaultRole }, mappingInput(p));
}

/**
 * The roles of a sign-in; over the evaluation budget (lib/provisioning/mapping.ts) the sign-in is
 * refused with `attributes_over_budget`: it ends on the error page and in `sso.login_failed`,
 * and nothing is written.
 */
function signInRoles(mapping: RoleMapping, attributes: Attributes): string[] {
  try {
    return evaluate(mapping, attributes).roles;
  } catch (e) {
    if (e instanceof MappingBudgetExceeded) throw new LoginRejected('attributes_over_budget', 400);
    throw e;
  }
}

type Outcome = { user: User; created: boolean; sessionId: string; expiresAt: Date };

const dialect = new PgDialect();

/**
 * Which user an OIDC sign-in may be, by its email (the rule; {@link signInUser} applies it):
 * 1. An email the provider does not mark as verified (`profile.emailVerified` not true) is refused
 *    (`email_not_verified`), unless the connection trusts unverified emails (`trustUnverifiedEmail`,
 *    an admin's choice for providers that never send the claim, such as Microsoft Entra ID).
 * 2. The identity (connection, sub) already linked to a user: that user.
 * 3. Not linked yet, and a user with this email exists in the tenant:
 *    a. that user has an identity on this connection with another sub (another account at the
 *       same provider): refused (`identity_conflict`), whatever `email_verified` says;
 *    b. the email is not verified: refused (`email_not_verified`) even on a trusting connection —
 *       an unverified email never links a new sub to an existing user;
 *    c. otherwise the new sub is linked to that user.
 * 4. Not linked and no such user: a new user where the strategy creates users (a trusting
 *    connection may create one with an unverified email: nobody else's account is involved).
 * SAML (no `emailVerified`) keeps linking by email as before: its NameID may be transient.
 */
function linkByEmail(s: SignIn, candidate: User, otherSubjectHere: boolean): User {
  if (s.connection.type !== 'oidc') return candidate;
  if (otherSubjectHere) throw new LoginRejected('identity_conflict', 403);
  if (s.profile.emailVerified !== true) throw new LoginRejected('email_not_verified', 403);
  return candidate;
}

/**
 * A successful SSO sign-in, in one transaction: find or create the user under the tenant's
 * strategy, update name, groups, attributes and roles, start a session, and write the events
 * (user.created / user.updated / user.roles_changed, sso.login_succeeded). Throws LoginRejected
 * with a typed reason when the strategy refuses the person; then nothing is written.
 *
 * Usually two statements: a read without locks, then every write in one statement (one implicit
 * transaction) that stores nothing unless the user row is still as read (its `xmin`) or, for a
 * new user, its insert did not conflict. When that guard fails (a concurrent sign-in or change of
 * this person), the sign-in runs again as an explicit transaction with row locks. There,
 * concurrent first sign-ins of one person converge on one row: the insert is arbitrated by the
 * unique (tenant_id, lower(email)) index (ON CONFLICT DO NOTHING), and the loser updates the
 * winner's row.
 */
export async function signInUser(
  meta: Omit<Ctx, 'actor'>,
  tenant: SignInTenant,
  connection: Connection,
  profile: IdpProfile,
  /** A SAML sign-in's NameID and SessionIndex, for single logout. */
  saml?: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null },
): Promise<Outcome> {
  let s = await signInOf(meta, tenant, connection, profile, saml);
  const db = await getDb();

  // Without locks: the user as read, and one statement that holds only if it is unchanged.
  const found = await candidates(db, s);
  const existing = found.byIdentity ?? (found.byEmail && { ...found.byEmail, user: linkByEmail(s, found.byEmail.user, found.byEmail.otherSubjectHere) });
  if (!existing && !s.mayCreate) throw new LoginRejected(tenant.strategy === 'scim' ? 'user_not_provisioned' : 'domain_not_allowed');
  const plan = existing ? planExisting(s, existing.user) : planNew(s);
  const userRow = existing
    ? updateUser(db, plan, sql`${users}.xmin = ${existing.version}::xid`)
    : db.insert(users).values(plan.user).onConflictDoNothing().returning({ id: users.id }).getSQL();
  try {
    const statement = dialect.sqlToQuery(writes(s, plan, userRow));
    await (await dbHandle()).runPrepared(statement.sql, statement.params);
    return outcome(s, plan);
  } catch (err) {
    if (!userRowGone(err)) throw err;
  }

  return db.transaction(async (tx) => {
    // The tenant held (its rules and strategy cannot change under this transaction) and, when it
    // changed since it was read, the sign-in judged again by it as it is now.
    const now = await signInTenant(tenant.id, tx, true);
    if (!now) throw new LoginRejected('unknown_tenant', 404);
    if (now.version !== s.tenant.version) s = await signInOf(meta, now, connection, profile, saml);
    const locked = await byIdentity(tx, connection.id, profile.subject);
    if (locked) {
      const p = planExisting(s, locked);
      await tx.execute(writes(s, p, updateUser(tx, p)));
      return outcome(s, p);
    }
    if (s.mayCreate) {
      const p = planNew(s);
      const [row] = await tx.insert(users).values(p.user).onConflictDoNothing().returning({ id: users.id });
      if (row) {
        await tx.execute(writes(s, p, sql`select ${p.user.id}::text as id`));
        return outcome(s, p);
      }
    }
    const byMail = await byEmail(tx, s.tenant.id, s.email);
    if (!byMail) throw new LoginRejected(s.tenant.strategy === 'scim' ? 'user_not_provisioned' : 'domain_not_allowed');
    const p = planExisting(s, linkByEmail(s, byMail, await otherSubjectOn(tx, byMail.id, s)));
    await tx.execute(writes(s, p, updateUser(tx, p)));
    return outcome(s, p);
  });
}

/** A sign-in judged by the tenant as `tenant` holds it: its domains, strategy and role mappings. */
async function signInOf(
  meta: Omit<Ctx, 'actor'>,
  tenant: SignInTenant,
  connection: Connection,
  profile: IdpProfile,
  saml?: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null },
): Promise<SignIn> {
  if (connection.tenantId !== tenant.id) throw new Error('connection of another tenant');
  if (profile.refusal) throw new LoginRejected(profile.refusal, 400);
  const email = profile.email?.trim().toLowerCase() ?? '';
  if (!EMAIL.test(email)) throw new LoginRejected('email_missing', 400);
  // OIDC: an email the provider does not vouch for (rule 1 of linkByEmail).
  if (connection.type === 'oidc' && profile.emailVerified !== true && !connection.trustUnverifiedEmail) throw new LoginRejected('email_not_verified', 403);
  const domain = emailDomain(email);
  // The tenant's own domains count only when trusted (an admin-added domain once DNS-verified).
  const ownDomain = tenant.trustedDomains.includes(domain);
  const allowedDomain = tenant.allowedDomains.includes(domain);
  if (!ownDomain && !allowedDomain) throw new LoginRejected('domain_not_allowed');

  // Roles take up to ~0.1 s (the mapping budget): a heavy evaluation gets a turn of the event loop of its own.
  if (evaluationCost({ rules: tenant.roleRules, defaultRole: tenant.defaultRole }, mappingInput(profile)).cost > MAPPING_BUDGET / 20) await nextTurn();
  const now = new Date();
  return {
    meta,
    tenant,
    connection,
    profile,
    email,
    now,
    mayCreate: tenant.strategy === 'jit' || (tenant.strategy === 'self_registration' && allowedDomain),
    fields: {
      firstName: profile.firstName,
      lastName: profile.lastName,
      groups: [...new Set(profile.groups)].sort(),
      attributes: profile.attributes,
      roles: rolesFor(tenant, profile),
      // What the roles open in the console is capped at the connection's ceiling (whoever set it up).
      scopeCeiling: connection.scopeCeiling,
      lastLoginAt: now,
      updatedAt: now,
    },
    sessionId: newId('ses'),
    expiresAt: new Date(now.getTime() + USER_SESSION_TTL_SECONDS * 1000),
    sso: saml ? { connectionId: connection.id, ...saml } : null,
  };
}

type SignIn = {
  meta: Omit<Ctx, 'actor'>;
  tenant: SignInTenant;
  connection: Connection;
  profile: IdpProfile;
  email: string;
  now: Date;
  mayCreate: boolean;
  fields: Pick<User, 'firstName' | 'lastName' | 'groups' | 'attributes' | 'roles' | 'scopeCeiling' | 'lastLoginAt' | 'updatedAt'>;
  sessionId: string;
  expiresAt: Date;
  /** A SAML sign-in: what single logout needs, kept on the session. */
  sso: SessionSso | null;
};

/** The user after the sign-in, what changes (an update, or the row of a new user) and the events. */
type Plan = { user: User; created: boolean; update: Partial<User> | null; events: AuditInput[] };

/** A new user (pure). */
function planNew(s: SignIn): Plan {
  const user: User = {
    id: newId('usr'),
    tenantId: s.tenant.id,
    email: s.email,
    source: s.tenant.strategy === 'jit' ? 'jit' : 'self_registration',
    status: 'active',
    suspendedBy: null,
    createdAt: s.now,
    ...s.fields,
  };
  const events: AuditInput[] = [
    {
      tenantId: s.tenant.id,
      action: 'user.created',
      target: { type: 'user', id: user.id, label: s.email },
      details: { source: user.source, connectionId: s.connection.id, roles: s.fields.roles, groups: s.fields.groups },
    },
  ];
  return { user, created: true, update: null, events: [...events, loginEvent(s, user.id, true)] };
}

/**
 * Signing in an existing user (pure): refused under the SCIM strategy unless the directory
 * provisioned them, and when suspended.
 */
function planExisting(s: SignIn, existing: User): Plan {
  if (s.tenant.strategy === 'scim' && existing.source !== 'scim') throw new LoginRejected('user_not_provisioned');
  if (existing.status === 'suspended') throw new LoginRejected('user_suspended');
  // A connection set up by a narrower admin does not vouch for someone holding console sections
  // beyond theirs (their IdP could name anyone): such a person signs in through another one.
  if (sectionsAbove(s.tenant.consoleAccess ?? {}, existing, s.connection.scopeCeiling).length) throw new LoginRejected('above_connection_ceiling');
  // A directory-provisioned user's groups and attributes belong to the directory: sign-in
  // re-evaluates their roles over what SCIM stored, and keeps the rest (their ceiling is the
  // directories'; the session still carries the connection's).
  const update: Partial<User> =
    existing.source === 'scim'
      ? {
          lastLoginAt: s.now,
          updatedAt: s.now,
          roles: signInRoles(
            { rules: s.tenant.roleRules, defaultRole: s.tenant.defaultRole },
            { ...(existing.attributes ?? {}), email: [existing.email], groups: existing.groups },
          ),
        }
      : s.fields;
  const user: User = { ...existing, ...update };
  const target = { type: 'user', id: user.id, label: s.email };
  const events: AuditInput[] = [];
  const changed = userChanges(
    { firstName: existing.firstName, lastName: existing.lastName, groups: existing.groups },
    { firstName: user.firstName, lastName: user.lastName, groups: user.groups },
  );
  if (changed) events.push({ tenantId: s.tenant.id, action: 'user.updated', target, details: changed });
  const diff = diffRoles(existing.roles, user.roles);
  if (diff.added.length || diff.removed.length) {
    events.push({
      tenantId: s.tenant.id,
      action: 'user.roles_changed',
      target,
      details: { before: { roles: existing.roles }, after: { roles: user.roles }, ...diff },
    });
  }
  return { user, created: false, update, events: [...events, loginEvent(s, user.id, false)] };
}

function loginEvent(s: SignIn, userId: string, created: boolean): AuditInput {
  const c = s.connection;
  return {
    tenantId: s.tenant.id,
    action: 'sso.login_succeeded',
    target: { type: 'connection', id: c.id, label: c.idp.entityId ?? c.idp.issuer ?? c.type },
    details: { userId, subject: s.profile.subject, created },
  };
}

const outcome = (s: SignIn, p: Plan): Outcome => ({ user: p.user, created: p.created, sessionId: s.sessionId, expiresAt: s.expiresAt });

/** The UPDATE of a plan's user, yielding its id; `guard` adds a condition. */
function updateUser(db: Executor, p: Plan, guard?: SQL): SQL {
  return db
    .update(users)
    .set(p.update!)
    .where(and(eq(users.id, p.user.id), guard))
    .returning({ id: users.id })
    .getSQL();
}

/**
 * Every write of a sign-in in one statement, after `userRow` (a query yielding the user's id):
 * the identity link, the audit events and the session. The session takes its user from
 * `userRow`, and only while the tenant row is the version the sign-in was judged by (held, so a
 * change of its rules waits for this statement, or this statement for it and then finds it
 * changed). When either yields nothing (the guards of the one-statement path), the statement
 * fails on NOT NULL and stores nothing ({@link userRowGone}).
 */
function writes(s: SignIn, p: Plan, userRow: SQL): SQL {
  const actor = { type: 'user' as const, id: p.user.id, label: s.email };
  const audit = auditInsert({ ...s.meta, actor }, p.events).statement!;
  return sql`with u as (${userRow}),
    t as (select 1 from ${tenants} where id = ${s.tenant.id} and xmin = ${s.tenant.version}::xid for key share),
    i as (insert into ${userIdentities} (connection_id, subject, user_id, tenant_id)
      select ${s.connection.id}, ${s.profile.subject}, id, ${s.tenant.id} from u on conflict do nothing),
    a as (${audit})
    insert into ${sessions} (id, kind, subject_id, tenant_id, expires_at, sso, scopes)
    values (${s.sessionId}, 'user', (select id from u where exists (select 1 from t)), ${s.tenant.id}, ${s.expiresAt}, ${s.sso ? JSON.stringify(s.sso) : null}::jsonb, ${s.connection.scopeCeiling ? textArray(s.connection.scopeCeiling) : null}::text[])`;
}

/** A text[] parameter as an array literal (a bare array would be spread into a list); null stays null. Scope names only. */

/** Did the one-statement path fail because the user row was not as read ({@link writes})? */
function userRowGone(err: unknown): boolean {
  const e = pgError(err) as { code?: string; column?: string } | null;
  return e?.code === '23502' && e.column === 'subject_id';
}

/** SQL: does this user have an identity on the sign-in's connection with another subject? */
const otherSubjectSql = (userId: SQL | string, s: SignIn) =>
  sql<boolean>`exists (select 1 from ${userIdentities} where ${userIdentities.userId} = ${userId} and ${userIdentities.connectionId} = ${s.connection.id} and ${userIdentities.subject} <> ${s.profile.subject})`;

/**
 * The user linked to this IdP subject, and the one with this email in the tenant (with whether it
 * has another subject on this connection), as read now, with their row versions.
 */
async function candidates(db: Executor, s: SignIn): Promise<{ byIdentity: Versioned | null; byEmail: (Versioned & { otherSubjectHere: boolean }) | null }> {
  const linked = sql`(select ${userIdentities.userId} from ${userIdentities} where ${userIdentities.connectionId} = ${s.connection.id} and ${userIdentities.subject} = ${s.profile.subject})`;
  const rows = await db
    .select({
      user: users,
      version: sql<string>`${users}.xmin::text`,
      linked: sql<boolean>`${users.id} = ${linked}`,
      otherSubjectHere: otherSubjectSql(sql`${users.id}`, s),
    })
    .from(users)
    .where(or(eq(users.id, linked), and(eq(users.tenantId, s.tenant.id), sql`lower(${users.email}) = ${s.email}`)));
  const pick = (r: (typeof rows)[number] | undefined) => (r ? { user: r.user, version: r.version } : null);
  const mail = rows.find((r) => r.user.email.toLowerCase() === s.email);
  return { byIdentity: pick(rows.find((r) => r.linked)), byEmail: mail ? { ...pick(mail)!, otherSubjectHere: mail.otherSubjectHere } : null };
}

async function otherSubjectOn(tx: Tx, userId: string, s: SignIn): Promise<boolean> {
  const [row] = await tx.select({ v: otherSubjectSql(userId, s) }).from(sql`(select 1) as one`);
  return row?.v === true;
}

type Versioned = { user: User; version: string };

async function byIdentity(tx: Tx, connectionId: string, subject: string): Promise<User | null> {
  const [row] = await tx
    .select({ u: users })
    .from(userIdentities)
    .innerJoin(users, eq(users.id, userIdentities.userId))
    .where(and(eq(userIdentities.connectionId, connectionId), eq(userIdentities.subject, subject)))
    .for('update', { of: users });
  return row?.u ?? null;
}

async function byEmail(tx: Tx, tenantId: string, email: string): Promise<User | null> {
  const [row] = await tx
    .select()
    .from(users)
    .where(and(eq(users.tenantId, tenantId), sql`lower(${users.email}) = ${email}`))
    .for('update');
  return row ?? null;
}
