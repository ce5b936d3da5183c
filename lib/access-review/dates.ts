/**
 * Inactivity date math (pure). A user's last activity is their last SSO sign-in, or their
 * creation when they never signed in; they are inactive for N days when that lies more than
 * N × 24 h before now, and an inactivity policy of N days suspends them at last activity + N days.
 */

export const DAY_MS = 86_400_000;

/** Dormant means no sign-in for this many days when the tenant has no inactivity policy. */
export const DEFAULT_DORMANT_DAYS = 30;

export type Activity = { lastLoginAt: Date | null; createdAt: Date };

export const lastActivity = (u: Activity): Date => u.lastLoginAt ?? u.createdAt;

/** Whole days since the last activity (0 for the future, e.g. a clock skew). */
export function daysInactive(u: Activity, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - lastActivity(u).getTime()) / DAY_MS));
}

/** The instant before which a last activity counts as inactive for `days`. */
export const inactivityCutoff = (now: Date, days: number): Date => new Date(now.getTime() - days * DAY_MS);

/** Is the user inactive for more than `days` (strictly: exactly N days ago is not yet)? */
export const isInactive = (u: Activity, days: number, now: Date): boolean => lastActivity(u).getTime() < inactivityCutoff(now, days).getTime();

/** When a policy of `days` suspends this user (if they do not sign in before). */
export const suspensionDueAt = (u: Activity, days: number): Date => new Date(lastActivity(u).getTime() + days * DAY_MS);

/** "in 3 days", "in 5 hours", "due now" — for the console. */
export function dueIn(due: Date, now: Date): string {
  const ms = due.getTime() - now.getTime();
  if (ms <= 0) return 'due now';
  if (ms < 3_600_000) return `in ${Math.max(1, Math.round(ms / 60_000))} min`;
  if (ms < DAY_MS) return `in ${Math.round(ms / 3_600_000)} h`;
  const d = Math.floor(ms / DAY_MS);
  return `in ${d} day${d === 1 ? '' : 's'}`;
}
