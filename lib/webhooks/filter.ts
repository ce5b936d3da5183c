/**
 * Event filters of an endpoint: `*` (every event), `prefix.*` (every action starting `prefix.`)
 * or an exact action such as `user.suspended`.
 */

export const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_]*\.\*|[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)$/;

/** What the endpoint form offers to add (filter.test.ts checks that each action is one the portal records). */
export const EVENT_SUGGESTIONS = [
  '*',
  'user.*',
  'user.created',
  'user.updated',
  'user.roles_changed',
  'user.suspended',
  'user.reactivated',
  'user.deleted',
  'group.*',
  'sso.login_succeeded',
  'sso.login_failed',
  'session.ended',
  'sso.logout',
  'sso.logout_refused',
  'application.signed_in',
  'connection.*',
  'directory.*',
  'domain.*',
  'role_mapping.updated',
  'sign_in_policy.updated',
  'webhook.disabled',
  'sp_key.*',
] as const;

export function matchesEvent(patterns: readonly string[], action: string): boolean {
  for (const p of patterns) {
    if (p === '*') return true;
    if (p.endsWith('.*')) {
      if (action.startsWith(p.slice(0, -1))) return true;
    } else if (p === action) return true;
  }
  return false;
}

/** The delay before attempt `failures + 1`: 2 s doubled per failure, capped at 1 h, ±25 % jitter (never over the cap). */
/**
 * Consecutive failed attempts after which an endpoint is switched off (`webhook.disabled`): with
 * the backoff below (2 s doubling to an hourly cap) that is about three days of failing. Its
 * cursors stay where they are, so enabling it again delivers everything since, in order.
 */
export const DISABLE_AFTER_FAILURES = 84;

export function backoffMs(failures: number, random = Math.random()): number {
  const CAP = 60 * 60_000;
  const base = Math.min(CAP, 2000 * 2 ** Math.max(0, Math.min(failures - 1, 30)));
  return Math.round(Math.min(CAP, base * (0.75 + 0.5 * random)));
}
