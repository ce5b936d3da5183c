import type { SignInPolicy } from '../db/schema/tenants';

/** `sessions.lastSeenAt` is written at most this often per session. */
export const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

export type SessionTimes = { createdAt: Date; expiresAt: Date; lastSeenAt: Date | null };

export type SessionVerdict =
  | { live: false; reason: 'max_age' | 'idle' | 'expired' }
  | { live: true; expiresAt: Date; touch: boolean };

/**
 * Is a session still live under the tenant's policy at `now`, until when, and is it time to write
 * `lastSeenAt` again? Max age counts from `createdAt`; idle time from `lastSeenAt` (or `createdAt`
 * before the first write). The answer's `expiresAt` is the earliest of the row's own expiry, the
 * max age and the idle deadline counted from this request.
 */
export function sessionVerdict(policy: SignInPolicy | null | undefined, s: SessionTimes, now: Date): SessionVerdict {
  const t = now.getTime();
  if (s.expiresAt.getTime() <= t) return { live: false, reason: 'expired' };
  const max = policy?.sessionMaxAgeSeconds;
  const idle = policy?.sessionIdleSeconds;
  if (max && s.createdAt.getTime() + max * 1000 <= t) return { live: false, reason: 'max_age' };
  const lastSeen = (s.lastSeenAt ?? s.createdAt).getTime();
  if (idle && lastSeen + idle * 1000 <= t) return { live: false, reason: 'idle' };
  const touch = s.lastSeenAt === null || t - s.lastSeenAt.getTime() >= LAST_SEEN_WRITE_INTERVAL_MS;
  let end = s.expiresAt.getTime();
  if (max) end = Math.min(end, s.createdAt.getTime() + max * 1000);
  if (idle) end = Math.min(end, (touch ? t : lastSeen) + idle * 1000);
  return { live: true, expiresAt: new Date(end), touch };
}
