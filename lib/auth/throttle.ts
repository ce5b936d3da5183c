import 'server-only';
import { inArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { signInThrottle } from '../db/schema';

/**
 * Throttling of operator sign-in, per account and per client address, shared by every instance
 * (a table, not memory). Failures count within a 15-minute window; from the 5th on, each failure
 * blocks further attempts for 30 s, doubling up to 15 min. A success clears the account's count.
 * While blocked, the password is not even checked, so guessing costs the attacker the block.
 */
export const FREE_FAILURES = 4;
const WINDOW_MS = 15 * 60 * 1000;
const FIRST_BLOCK_MS = 30 * 1000;
const MAX_BLOCK_MS = 15 * 60 * 1000;

const keysOf = (email: string, ip: string | null | undefined) => [`email:${email.trim().toLowerCase()}`, ...(ip ? [`ip:${ip}`] : [])];

/** How long this account or address must still wait (ms), 0 when it may try now. */
export async function signInBlockedFor(email: string, ip: string | null | undefined, now = new Date()): Promise<number> {
  const db = await getDb();
  const rows = await db.select().from(signInThrottle).where(inArray(signInThrottle.key, keysOf(email, ip)));
  return Math.max(0, ...rows.map((r) => (r.blockedUntil ? r.blockedUntil.getTime() - now.getTime() : 0)));
}

export const blockMs = (failures: number) => (failures <= FREE_FAILURES ? 0 : Math.min(MAX_BLOCK_MS, FIRST_BLOCK_MS * 2 ** (failures - FREE_FAILURES - 1)));

/** Counts a failure for the account and the address (one statement each, safe under concurrency). */
export async function recordSignInFailure(email: string, ip: string | null | undefined, now = new Date()): Promise<void> {
  const db = await getDb();
  const windowStart = new Date(now.getTime() - WINDOW_MS);
  for (const key of keysOf(email, ip)) {
    const [row] = await db
      .insert(signInThrottle)
      .values({ key, failures: 1, windowStart: now })
      .onConflictDoUpdate({
        target: signInThrottle.key,
        set: {
          failures: sql`case when ${signInThrottle.windowStart} < ${windowStart} then 1 else ${signInThrottle.failures} + 1 end`,
          windowStart: sql`case when ${signInThrottle.windowStart} < ${windowStart} then ${now} else ${signInThrottle.windowStart} end`,
        },
      })
      .returning();
    const ms = blockMs(row.failures);
    if (ms) await db.update(signInThrottle).set({ blockedUntil: new Date(now.getTime() + ms) }).where(sql`${signInThrottle.key} = ${key}`);
  }
}

export async function clearSignInFailures(email: string): Promise<void> {
  const db = await getDb();
  await db.delete(signInThrottle).where(inArray(signInThrottle.key, keysOf(email, null)));
}
