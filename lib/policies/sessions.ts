import 'server-only';
import { and, eq, isNull, lt, or } from 'drizzle-orm';
import { getDb } from '../db/client';
import { sessions, tenants, type SessionRow } from '../db/schema';
import { log } from '../log';
import { LAST_SEEN_WRITE_INTERVAL_MS, sessionVerdict } from './session';

/**
 * The tenant's session lifetime and idle timeout, applied to a live session row on a request
 * (end users and tenant admins; operator sessions belong to no tenant). An expired session is
 * deleted, so every instance sees it ended; otherwise `lastSeenAt` is written at most once a
 * minute. Answers the session's effective expiry, or null when it has ended.
 */
export async function enforceSessionPolicy(row: SessionRow, now = new Date()): Promise<Date | null> {
  if (row.kind === 'operator' || !row.tenantId) return row.expiresAt;
  const db = await getDb();
  const [t] = await db.select({ p: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, row.tenantId));
  const verdict = sessionVerdict(t?.p, row, now);
  if (!verdict.live) {
    await db.delete(sessions).where(eq(sessions.id, row.id));
    log('info', 'session ended by the sign-in policy', { sessionId: row.id, tenantId: row.tenantId, reason: verdict.reason });
    return null;
  }
  if (verdict.touch) {
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
