import 'server-only';
import { sessionFromCookie } from '../auth/session-cookie';
import { dbHandle } from '../db/client';
import type { SessionRow, SignInPolicy } from '../db/schema';
import { LAST_SEEN_WRITE_INTERVAL_MS, sessionHardEnd, sessionVerdict } from '../policies/session';
import { enforceSessionPolicy } from '../policies/sessions';
import { emailDomain } from '../utils';

/** An end user's live portal session, as the OpenID Provider needs it. */
export type PortalSession = {
  sessionId: string;
  userId: string;
  /** The user's email, lower-cased. */
  email: string;
  tenant: { id: string; slug: string; name: string; signInPolicy: SignInPolicy; trustedDomains: string[] };
  /** When the user signed in through their IdP (the session's start), seconds. */
  authTime: number;
  /**
   * When the session ends at the latest (its own expiry, or its tenant's maximum lifetime),
   * seconds. The idle timeout is not counted: using an application keeps the session alive.
   */
  expiresAt: number;
  /** The session came from an IdP-initiated sign-in: this browser did not start it. */
  unsolicited: boolean;
  /** The IdP was made to sign the person in afresh for it (ForceAuthn, prompt=login): authTime is a known authentication. */
  forced: boolean;
};

/**
 * An authorization request's `max_age` (seconds), read as the provider reads it: any spelling of
 * a whole number (`600`, `6e2`, `600.0`). One the provider would refuse reads as none here.
 */
export const maxAgeOf = (params: Record<string, unknown>): number | undefined => {
  if (params.max_age === undefined || params.max_age === null || params.max_age === '') return undefined;
  const n = Number(params.max_age);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/**
 * Whether a portal session meets `max_age` (OIDC Core §3.1.2.1: the time since the person was
 * actively authenticated). Only a sign-in the IdP was made to make afresh counts: one through /sso
 * may have been answered by the IdP's own session, however old.
 */
export const meetsMaxAge = (p: PortalSession, maxAge: number, now = Math.floor(Date.now() / 1000)): boolean => p.forced && now - p.authTime < maxAge;

/**
 * Whether a portal session is of the organisation an authorization request names, as the
 * interaction chooses it (lib/applications/interaction.ts): by `organization` (its slug in any
 * case, or its ID) first, else by `login_hint`'s domain (one the tenant owns); naming neither,
 * any session serves. (A hint of the session's own person on a domain nobody owns goes through the
 * interaction, which looks the domain up first.)
 */
export function servesRequest(portal: PortalSession, params: { organization?: unknown; login_hint?: unknown }): boolean {
  const org = typeof params.organization === 'string' ? params.organization : '';
  if (org) return org === portal.tenant.id || org.toLowerCase() === portal.tenant.slug;
  const hint = typeof params.login_hint === 'string' ? params.login_hint : '';
  if (hint) return portal.tenant.trustedDomains.includes(emailDomain(hint));
  return true;
}

/** Whether `email` is the session's person's own address. */
export const isSessionPerson = (portal: PortalSession, email: string): boolean => email.trim().toLowerCase() === portal.email;

type Row = {
  id: string;
  subject_id: string;
  tenant_id: string;
  created_at: Date;
  expires_at: Date;
  last_seen_at: Date | null;
  status: string;
  email: string;
  slug: string;
  name: string;
  policy: SignInPolicy | null;
  trusted: string[];
};

/**
 * One statement: the session, its user's status and its tenant with the trusted domains, as they
 * were before this request; and this request's use of it, written as enforceSessionPolicy writes
 * it (`last_seen_at`, at most once a minute, whichever instance or request comes first) and only
 * while the tenant's policy still admits the session (as sessionVerdict decides), so that a
 * request cannot keep alive a session the policy has ended.
 */
const SESSION_SQL = `with used as (update sessions s set last_seen_at = now() from tenants t
    where s.id = $1 and s.kind = 'user' and s.expires_at > now() and t.id = s.tenant_id
      and (s.last_seen_at is null or s.last_seen_at < now() - make_interval(secs => ${LAST_SEEN_WRITE_INTERVAL_MS / 1000}))
      and (t.sign_in_policy->>'sessionMaxAgeSeconds' is null
        or s.created_at + make_interval(secs => (t.sign_in_policy->>'sessionMaxAgeSeconds')::int) > now())
      and (t.sign_in_policy->>'sessionIdleSeconds' is null
        or coalesce(s.last_seen_at, s.created_at) + make_interval(secs => (t.sign_in_policy->>'sessionIdleSeconds')::int
          + case when s.last_seen_at is null then 0 else ${LAST_SEEN_WRITE_INTERVAL_MS / 1000} end) > now()))
  select s.id, s.subject_id, s.tenant_id, s.created_at, s.expires_at, s.last_seen_at, u.status, u.email,
    t.slug, t.name, t.sign_in_policy as policy,
    array(select d.domain from tenant_domains d where d.tenant_id = t.id and (d.added_by = 'operator' or d.verified) order by d.domain) as trusted
  from sessions s join users u on u.id = s.subject_id join tenants t on t.id = s.tenant_id
  where s.id = $1 and s.kind = 'user' and s.expires_at > now()`;

/** The session row as SESSION_SQL reads it (and this request's use written, when the policy admits it). */
export async function readPortalSession(sid: string): Promise<Row | undefined> {
  const db = await dbHandle();
  const [r] = await db.queryPrepared<Row>(SESSION_SQL, [sid]);
  return r;
}

/**
 * The end user's portal session named by this request's cookie, if it is live: the row exists,
 * the user is active, the tenant exists, and the tenant's session policy (lifetime, idle timeout)
 * still admits it. One portal session per browser serves every application.
 */
export async function portalSessionOf(cookieHeader: string | null): Promise<PortalSession | null> {
  const c = await sessionFromCookie(cookieHeader);
  if (!c || c.kind !== 'user') return null;
  const r = await readPortalSession(c.sid);
  if (!r || r.subject_id !== c.sub || r.status !== 'active') return null;
  const times = { createdAt: new Date(r.created_at), expiresAt: new Date(r.expires_at), lastSeenAt: r.last_seen_at ? new Date(r.last_seen_at) : null };
  const verdict = sessionVerdict(r.policy, times, new Date());
  // Ended by the policy: deleted, with its event, as on every request.
  if (!verdict.live) {
    const row = { id: r.id, kind: 'user', subjectId: r.subject_id, tenantId: r.tenant_id, scopes: null, ...times } as SessionRow;
    await enforceSessionPolicy(row);
    return null;
  }
  return {
    sessionId: r.id,
    userId: r.subject_id,
    email: r.email.toLowerCase(),
    tenant: { id: r.tenant_id, slug: r.slug, name: r.name, signInPolicy: r.policy ?? {}, trustedDomains: r.trusted },
    authTime: Math.floor(times.createdAt.getTime() / 1000),
    expiresAt: Math.floor(sessionHardEnd(r.policy, times.createdAt, times.expiresAt).getTime() / 1000),
    unsolicited: c.unsolicited,
    forced: c.forced,
  };
}
