import 'server-only';
import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import { SYSTEM } from '../audit/types';
import { getDb } from '../db/client';
import { sessions, tenants, type SessionRow } from '../db/schema';
import { log } from '../log';
import { LAST_SEEN_WRITE_INTERVAL_MS, sessionVerdict } from './session';

/**
 * The tenant's session lifetime and idle timeout, applied to a live session row on a request
 * (end users and tenant admins; operator sessions belong to no tenant). An expired session is
 * deleted, so every instance sees it ended; otherwise `lastSeenAt` is written at most once a
 * minute. Answers the session's effective expiry, or null when it has ended.
 *
 * A session the policy ends (idle timeout or lifetime) leaves a `session.ended` event in the
 * tenant's audit log, written with the delete by whichever request or instance deleted it, so
 * once. A row past its own expiry ends without an event, as every session eventually does.
 */
export async function enforceSessionPolicy(row: SessionRow, now = new Date(), opts: { touch?: boolean } = {}): Promise<Date | null> {
  if (row.kind === 'operator' || !row.tenantId) return row.expiresAt;
  const db = await getDb();
  const [t] = await db.select({ p: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, row.tenantId));
  const verdict = sessionVerdict(t?.p, row, now);
  if (!verdict.live) {
    const tenantId = row.tenantId;
    await db.transaction(async (tx) => {
      const gone = await tx.delete(sessions).where(eq(sessions.id, row.id)).returning({ id: sessions.id });
      if (!gone.length || verdict.reason === 'expired') return;
      await record(tx, SYSTEM, {
        tenantId,
        action: 'session.ended',
        target: { type: row.kind, id: row.subjectId },
        reason: verdict.reason === 'idle' ? 'idle timeout' : 'session lifetime',
        details: { sessionId: row.id, policy: verdict.reason === 'idle' ? 'sessionIdleSeconds' : 'sessionMaxAgeSeconds' },
      });
    });
    log('info', 'session ended by the sign-in policy', { sessionId: row.id, tenantId: row.tenantId, reason: verdict.reason });
    return null;
  }
  // A request is a use of the session; the job that looks for ended sessions is not.
  if (verdict.touch && opts.touch !== false) {
    // Conditional, so concurrent requests (and instances) write once a minute at most.
    await db
      .update(sessions)
      .set({ lastSeenAt: now })
      .where(
        and(
          eq(sessions.id, row.id),
          or(isNull(sessions.lastSeenAt), lt(sessions.lastSeenAt, new Date(now.getTime() - LAST_SEEN_WRITE_INTERVAL_MS + 1))),
        ),
      );
  }
  return verdict.expiresAt;
}

/**
 * Ends the sessions whose tenant's policy (lifetime or idle timeout) is over although no request
 * came to notice it, each as {@link enforceSessionPolicy} does (deleted, with `session.ended`).
 * Run by a job, so that the applications a session signed in to learn of it (back-channel logout).
 */
export async function sweepPolicyEndedSessions(limit = 200): Promise<number> {
  const db = await getDb();
  const candidates = await db
    .select({ s: sessions })
    .from(sessions)
    .innerJoin(tenants, eq(tenants.id, sessions.tenantId))
    .where(
      sql`${sessions.kind} <> 'operator' and (
        ((${tenants.signInPolicy}->>'sessionMaxAgeSeconds') is not null
          and ${sessions.createdAt} + make_interval(secs => (${tenants.signInPolicy}->>'sessionMaxAgeSeconds')::int) <= now())
        or ((${tenants.signInPolicy}->>'sessionIdleSeconds') is not null
          and coalesce(${sessions.lastSeenAt}, ${sessions.createdAt})
            + make_interval(secs => (${tenants.signInPolicy}->>'sessionIdleSeconds')::int + case when ${sessions.lastSeenAt} is null then 0 else 60 end) <= now()))`,
    )
    .limit(limit);
  let ended = 0;
  for (const { s } of candidates) if (!(await enforceSessionPolicy(s, new Date(), { touch: false }))) ended++;
  return ended;
}
