import type { SignInPolicy } from '../db/schema/tenants';

/** `sessions.lastSeenAt` is written at most this often per session. */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

export type SessionTimes = { createdAt: Date; expiresAt: Date; lastSeenAt: Date | null };

export type SessionVerdict =
  | { live: false; reason: 'max_age' | 'idle' | 'expired' }
  | { live: true; expiresAt: Date; touch: boolean };

/** When a session ends at the latest: its own expiry, or its tenant's maximum lifetime (the idle timeout aside). */
export function sessionHardEnd(policy: SignInPolicy | null | undefined, createdAt: Date, expiresAt: Date): Date {
  const max = policy?.sessionMaxAgeSeconds;
  return new Date(Math.min(expiresAt.getTime(), max ? createdAt.getTime() + max * 1000 : Infinity));
}

/**
 * Is a session still live under the tenant's policy at `now`, until when, and is it time to write
 * `lastSeenAt` again? Max age counts from `createdAt`; idle time from `lastSeenAt` (or `createdAt`
 * before the first write).
 *
 * `lastSeenAt` is written at most once a minute, so the last request may have come up to a minute
 * after it: the idle deadline is `lastSeenAt + idle + 1 minute`. The idle timeout is thus honoured
 * to within a minute and never early — an active person is not signed out because a write was
 * skipped. The answer's `expiresAt` is the earliest of the row's own expiry, the max age and the
 * idle deadline as it stands after this request.
 */
export function sessionVerdict(policy: SignInPolicy | null | undefined, s: SessionTimes, now: Date): SessionVerdict {
  const t = now.getTime();
  if (s.expiresAt.getTime() <= t) return { live: false, reason: 'expired' };
  const max = policy?.sessionMaxAgeSeconds;
  const idle = policy?.sessionIdleSeconds;
  if (max && s.createdAt.getTime() + max * 1000 <= t) return { live: false, reason: 'max_age' };
  const lastSeen = (s.lastSeenAt ?? s.createdAt).getTime();
  const slack = s.lastSeenAt === null ? 0 : LAST_SEEN_WRITE_INTERVAL_MS; // activity not yet written
  if (idle && lastSeen + idle * 1000 + slack <= t) return { live: false, reason: 'idle' };
  const touch = s.lastSeenAt === null || t - s.lastSeenAt.getTime() >= LAST_SEEN_WRITE_INTERVAL_MS;
  let end = s.expiresAt.getTime();
  if (max) end = Math.min(end, s.createdAt.getTime() + max * 1000);
  if (idle) end = Math.min(end, (touch ? t : lastSeen) + idle * 1000 + LAST_SEEN_WRITE_INTERVAL_MS);
  return { live: true, expiresAt: new Date(end), touch };
}
