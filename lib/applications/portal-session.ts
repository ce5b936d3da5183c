import 'server-only';
import { sessionFromCookie } from '../auth/session-cookie';
import { liveSession } from '../dal/sessions';
import { signInTenant, type SignInTenant } from '../dal/sign-in';
import { enforceSessionPolicy } from '../policies/sessions';

/** An end user's live portal session, as the OpenID Provider needs it. */
export type PortalSession = {
  sessionId: string;
  userId: string;
  tenant: SignInTenant;
  /** When the user signed in through their IdP (the session's start), seconds. */
  authTime: number;
  /**
   * When the session ends at the latest (its own expiry, or its tenant's maximum lifetime),
   * seconds. The idle timeout is not counted: using an application keeps the session alive.
   */
  expiresAt: number;
  /** The session came from an IdP-initiated sign-in: this browser did not start it. */
  unsolicited: boolean;
};

/**
 * The end user's portal session named by this request's cookie, if it is live: the row exists,
 * the user is active, the tenant exists, and the tenant's session policy (lifetime, idle timeout)
 * still admits it. One portal session per browser serves every application.
 */
export async function portalSessionOf(cookieHeader: string | null): Promise<PortalSession | null> {
  const c = await sessionFromCookie(cookieHeader);
  if (!c || c.kind !== 'user') return null;
  const row = await liveSession(c.sid);
  if (!row || row.kind !== 'user' || !row.tenantId || row.subjectId !== c.sub) return null;
  if (!(await enforceSessionPolicy(row))) return null;
  const tenant = await signInTenant(row.tenantId);
  if (!tenant) return null;
  const maxAge = tenant.signInPolicy?.sessionMaxAgeSeconds;
  const hardEnd = Math.min(row.expiresAt.getTime(), maxAge ? row.createdAt.getTime() + maxAge * 1000 : Infinity);
  return {
    sessionId: row.id,
    userId: row.subjectId,
    tenant,
    authTime: Math.floor(row.createdAt.getTime() / 1000),
    expiresAt: Math.floor(hardEnd / 1000),
    unsolicited: c.unsolicited,
  };
}
