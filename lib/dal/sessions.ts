import 'server-only';
import { and, eq, gt, sql } from 'drizzle-orm';
import { narrowest } from '../auth/permissions';
import { getDb, type Executor } from '../db/client';
import { oidcSessionLinks, sessions, tenants, users, type SessionRow, type SessionSso } from '../db/schema';
import { sessionVerdict } from '../policies/session';

export type LiveSession = SessionRow & { roles: string[] };

/**
 * The live session for an id, or null when it was ended, revoked or has expired, when its tenant
 * is gone, or (end users) when the user is gone or suspended. End users' roles are read fresh on
 * every request, and their `scopes` is the most their roles open in the console: the narrowest of
 * the session's connection's ceiling and the user's own (lib/auth/permissions.ts `ceilingOf`).
 */
export async function liveSession(id: string): Promise<LiveSession | null> {
  const db = await getDb();
  const [row] = await db
    .select({ s: sessions, roles: users.roles, status: users.status, ceiling: users.scopeCeiling, tenantId: tenants.id })
    .from(sessions)
    .leftJoin(users, eq(users.id, sessions.subjectId))
    .leftJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(and(eq(sessions.id, id), gt(sessions.expiresAt, new Date())));
  if (!row) return null;
  if (row.s.tenantId && !row.tenantId) return null;
  if (row.s.kind === 'user') {
    if (row.status !== 'active') return null;
    return { ...row.s, roles: row.roles ?? [], scopes: narrowest(row.s.scopes, row.ceiling) };
  }
  return { ...row.s, roles: row.roles ?? [] };
}

export async function endSession(id: string): Promise<void> {
  const db = await getDb();
  await db.delete(sessions).where(eq(sessions.id, id));
}

/**
 * One portal session per browser: a sign-in in a browser that held another end user's session
 * ends that one (its cookie is replaced, so nobody could sign it out any more). When the same
 * person signed in again, the applications that session signed in to follow the new one (signing
 * out ends them); for another person they hear that the first one's session ended (back-channel
 * logout, lib/applications/backchannel.ts).
 */
export async function supersedeSession(previous: { sid: string; sub: string }, next: { sessionId: string; userId: string }): Promise<void> {
  if (previous.sid === next.sessionId) return;
  const db = await getDb();
  await db.transaction(async (tx) => {
    if (previous.sub === next.userId) {
      // Only from a session still live under its tenant's policy: one that a suspension, a
      // sign-out, its expiry or the policy (idle, max age) ended has its applications told by the
      // reaper (lib/applications/backchannel.ts), even when the person signs in again before it ran.
      const [prev] = await tx
        .select({ createdAt: sessions.createdAt, expiresAt: sessions.expiresAt, lastSeenAt: sessions.lastSeenAt, policy: tenants.signInPolicy })
        .from(sessions)
        .leftJoin(tenants, eq(tenants.id, sessions.tenantId))
        .where(eq(sessions.id, previous.sid))
        .for('update', { of: sessions });
      if (prev && sessionVerdict(prev.policy, prev, new Date()).live) {
        await tx.update(oidcSessionLinks).set({ portalSessionId: next.sessionId }).where(eq(oidcSessionLinks.portalSessionId, previous.sid));
      }
      // The provider sessions (whose codes and tokens live as long as they do) now last as long as
      // the new portal session, not the one they came from.
      await tx.execute(sql`
        update oidc_payloads p set expires_at = s.expires_at,
          payload = jsonb_set(p.payload, '{exp}', to_jsonb(floor(extract(epoch from s.expires_at))::bigint))
        from oidc_session_links l join sessions s on s.id = l.portal_session_id
        where l.portal_session_id = ${next.sessionId} and p.model = 'Session' and p.uid = l.session_uid
          and (p.expires_at is null or p.expires_at < s.expires_at)`);
    }
    await tx.delete(sessions).where(and(eq(sessions.id, previous.sid), eq(sessions.subjectId, previous.sub), eq(sessions.kind, 'user')));
  });
}

/** Ends every session of a subject at once (suspension, deletion). */
export async function endSessionsOf(tx: Executor, subjectId: string): Promise<void> {
  await tx.delete(sessions).where(eq(sessions.subjectId, subjectId));
}

/** The SAML sign-in a session came from (single logout), or null. */
export async function ssoOfSession(id: string): Promise<SessionSso | null> {
  const db = await getDb();
  const [row] = await db.select({ sso: sessions.sso }).from(sessions).where(eq(sessions.id, id));
  return row?.sso ?? null;
}
