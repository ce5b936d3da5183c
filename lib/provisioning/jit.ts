import 'server-only';
import { and, eq, sql } from 'drizzle-orm';
import { recordMany, type AuditInput } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb, type Tx } from '../db/client';
import { sessions, userIdentities, users, type Connection, type User } from '../db/schema';
import type { SignInTenant } from '../dal/sign-in';
import type { TenantWithDomains } from '../dal/tenants';
import { newId } from '../ids';
import { LoginRejected } from '../sso/failures';
import { diffRoles, evaluate } from './mapping';

/** What an IdP said about the person signing in, normalised from a SAML assertion or OIDC claims. */
export type IdpProfile = {
  subject: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  groups: string[];
  /** Every attribute/claim as sent (by name, and by friendly name where SAML gives one). */
  attributes: Record<string, string[]>;
};

export const USER_SESSION_TTL_SECONDS = 8 * 60 * 60;

const domainOf = (email: string) => email.slice(email.lastIndexOf('@') + 1).toLowerCase();
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The attributes the mapping rules see: the IdP's own, plus `email` and `groups` as the portal read them. */
export function mappingInput(p: IdpProfile): Record<string, string[]> {
  return { ...p.attributes, email: p.email ? [p.email] : [], groups: p.groups };
}

export function rolesFor(tenant: TenantWithDomains, p: IdpProfile): string[] {
  return evaluate({ rules: tenant.roleRules, defaultRole: tenant.defaultRole }, mappingInput(p)).roles;
}

type Outcome = { user: User; created: boolean; sessionId: string; expiresAt: Date };

/**
 * A successful SSO sign-in, in one transaction: find or create the user under the tenant's
 * strategy, update name, groups, attributes and roles, start a session, and write the events
 * (user.created / user.updated / user.roles_changed, sso.login_succeeded). Throws LoginRejected
 * with a typed reason when the strategy refuses the person; then nothing is written.
 *
 * Concurrent first sign-ins of one person converge on one row: the insert is arbitrated by the
 * unique (tenant_id, lower(email)) index (ON CONFLICT DO NOTHING), and the loser updates the winner's row.
 */
export async function signInUser(
  meta: Omit<Ctx, 'actor'>,
  tenant: SignInTenant,
  connection: Connection,
  profile: IdpProfile,
): Promise<Outcome> {
  if (connection.tenantId !== tenant.id) throw new Error('connection of another tenant');
  const email = profile.email?.trim().toLowerCase() ?? '';
  if (!EMAIL.test(email)) throw new LoginRejected('email_missing', 400);
  const domain = domainOf(email);
  // The tenant's own domains count only when trusted (an admin-added domain once DNS-verified).
  const ownDomain = tenant.trustedDomains.includes(domain);
  const allowedDomain = tenant.allowedDomains.includes(domain);
  if (!ownDomain && !allowedDomain) throw new LoginRejected('domain_not_allowed');

  const roles = rolesFor(tenant, profile);
  const now = new Date();
  const fields = {
    firstName: profile.firstName,
    lastName: profile.lastName,
    groups: [...new Set(profile.groups)].sort(),
    attributes: profile.attributes,
    roles,
    lastLoginAt: now,
    updatedAt: now,
  };
  const actor = { type: 'user' as const, id: null as string | null, label: email };

  const db = await getDb();
  return db.transaction(async (tx) => {
    let existing = await byIdentity(tx, connection.id, profile.subject);
    let created = false;
    if (!existing) {
      const mayCreate = tenant.strategy === 'jit' || (tenant.strategy === 'self_registration' && allowedDomain);
      if (mayCreate) {
        const [row] = await tx
          .insert(users)
          .values({ id: newId('usr'), tenantId: tenant.id, email, source: tenant.strategy === 'jit' ? 'jit' : 'self_registration', ...fields })
          .onConflictDoNothing()
          .returning();
        if (row) {
          existing = row;
          created = true;
        }
      }
      existing ??= await byEmail(tx, tenant.id, email);
      if (!existing) {
        throw new LoginRejected(tenant.strategy === 'scim' ? 'user_not_provisioned' : 'domain_not_allowed');
      }
    }
    if (tenant.strategy === 'scim' && existing.source !== 'scim') throw new LoginRejected('user_not_provisioned');
    if (existing.status === 'suspended') throw new LoginRejected('user_suspended');
    await tx
      .insert(userIdentities)
      .values({ connectionId: connection.id, subject: profile.subject, userId: existing.id, tenantId: tenant.id })
      .onConflictDoNothing();

    let user = existing;
    actor.id = user.id;
    // Written together at the end: the tenant's audit chain is locked from then to the commit.
    const events: AuditInput[] = [];
    const target = { type: 'user', id: user.id, label: email };
    if (created) {
      events.push({
        tenantId: tenant.id,
        action: 'user.created',
        target,
        details: { source: user.source, connectionId: connection.id, roles, groups: fields.groups },
      });
    } else {
      // A directory-provisioned user's groups and attributes belong to the directory: sign-in
      // re-evaluates their roles over what SCIM stored, and keeps the rest.
      const update =
        existing.source === 'scim'
          ? {
              lastLoginAt: now,
              updatedAt: now,
              roles: evaluate(
                { rules: tenant.roleRules, defaultRole: tenant.defaultRole },
                { ...(existing.attributes ?? {}), email: [existing.email], groups: existing.groups },
              ).roles,
            }
          : fields;
      [user] = await tx.update(users).set(update).where(eq(users.id, existing.id)).returning();
      const before = { firstName: existing.firstName, lastName: existing.lastName, groups: existing.groups };
      const after = { firstName: user.firstName, lastName: user.lastName, groups: user.groups };
      if (JSON.stringify(before) !== JSON.stringify(after)) {
        events.push({ tenantId: tenant.id, action: 'user.updated', target, details: { before, after } });
      }
      const diff = diffRoles(existing.roles, user.roles);
      if (diff.added.length || diff.removed.length) {
        events.push({
          tenantId: tenant.id,
          action: 'user.roles_changed',
          target,
          details: { before: { roles: existing.roles }, after: { roles: user.roles }, ...diff },
        });
      }
    }
    const sessionId = newId('ses');
    const expiresAt = new Date(now.getTime() + USER_SESSION_TTL_SECONDS * 1000);
    await tx.insert(sessions).values({ id: sessionId, kind: 'user', subjectId: user.id, tenantId: tenant.id, expiresAt });
    events.push({
      tenantId: tenant.id,
      action: 'sso.login_succeeded',
      target: { type: 'connection', id: connection.id, label: connection.idp.entityId ?? connection.idp.issuer ?? connection.type },
      details: { userId: user.id, subject: profile.subject, created },
    });
    await recordMany(tx, { ...meta, actor }, events);
    return { user, created, sessionId, expiresAt };
  });
}

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
