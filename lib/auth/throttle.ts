import 'server-only';
import { eq, inArray, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { signInThrottle, type Operator } from '../db/schema';
import type { Ctx } from '../audit/types';
import { checkOperatorCredentials, recordOperatorLoginFailure } from '../dal/operators';
import { log } from '../log';

/**
 * Throttling of operator sign-in, per account and per client address, shared by every instance
 * (a table, not memory). Failures count within a 15-minute window; from the 5th on, each failure
 * blocks further attempts for 30 s, doubling up to 15 min. A success clears the account's count.
 * While blocked, the password is not even checked, so guessing costs the attacker the block.
 * An attempt is counted before its password is checked (takeSignInAttempt).
 */
export const FREE_FAILURES = 4;
const WINDOW_MS = 15 * 60 * 1000;
const FIRST_BLOCK_MS = 30 * 1000;
const MAX_BLOCK_MS = 15 * 60 * 1000;

const keysOf = (email: string, ip: string | null | undefined) => [`email:${email.trim().toLowerCase()}`, ...(ip ? [`ip:${ip}`] : [])];

export const blockMs = (failures: number) => (failures <= FREE_FAILURES ? 0 : Math.min(MAX_BLOCK_MS, FIRST_BLOCK_MS * 2 ** (failures - FREE_FAILURES - 1)));

/**
 * Takes one sign-in attempt for the account and the address, before the password is checked: 0
 * when it may go ahead (counted as a failure until signInSucceeded says otherwise, and setting the
 * block that failure would set), else how long it must wait. The rows are locked for the decision,
 * so attempts at the same moment are counted one after another: a burst gets no more password
 * checks than the same guesses made in turn.
 */
export async function takeSignInAttempt(email: string, ip: string | null | undefined, now = new Date()): Promise<number> {
  if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
    lastSweep = Date.now();
    void sweepSignInThrottle().catch((err) => log('warn', 'could not sweep the sign-in throttle', { err }));
  }
  const db = await getDb();
  const keys = keysOf(email, ip).sort();
  const windowStart = new Date(now.getTime() - WINDOW_MS);
  return db.transaction(async (tx) => {
    await tx.insert(signInThrottle).values(keys.map((key) => ({ key, failures: 0, windowStart: now }))).onConflictDoNothing();
    const rows = await tx.select().from(signInThrottle).where(inArray(signInThrottle.key, keys)).orderBy(signInThrottle.key).for('update');
    const wait = Math.max(0, ...rows.map((r) => (r.blockedUntil ? r.blockedUntil.getTime() - now.getTime() : 0)));
    if (wait > 0) return wait;
    for (const r of rows) {
      const fresh = r.windowStart < windowStart;
      const failures = fresh ? 1 : r.failures + 1;
      const ms = blockMs(failures);
      await tx
        .update(signInThrottle)
        .set({ failures, windowStart: fresh ? now : r.windowStart, blockedUntil: ms ? new Date(now.getTime() + ms) : null })
        .where(eq(signInThrottle.key, r.key));
    }
    return 0;
  });
}

/** The attempt taken was right: the account starts afresh, and the address gets its attempt back. */
export async function signInSucceeded(email: string, ip: string | null | undefined): Promise<void> {
  await clearSignInFailures(email);
  if (!ip) return;
  const db = await getDb();
  await db
    .update(signInThrottle)
    .set({
      failures: sql`greatest(${signInThrottle.failures} - 1, 0)`,
      blockedUntil: sql`case when ${signInThrottle.failures} - 1 <= ${FREE_FAILURES} then null else ${signInThrottle.blockedUntil} end`,
    })
    .where(eq(signInThrottle.key, `ip:${ip}`));
}

const SWEEP_EVERY_MS = 5 * 60 * 1000;
let lastSweep = 0;

/** Deletes rows whose window and block are over (anyone can add rows: any email, any address). */
export async function sweepSignInThrottle(): Promise<void> {
  const db = await getDb();
  await db
    .delete(signInThrottle)
    .where(sql`${signInThrottle.windowStart} < now() - ${`${WINDOW_MS / 1000} seconds`}::interval and (${signInThrottle.blockedUntil} is null or ${signInThrottle.blockedUntil} < now())`);
}

export async function clearSignInFailures(email: string): Promise<void> {
  const db = await getDb();
  await db.delete(signInThrottle).where(inArray(signInThrottle.key, keysOf(email, null)));
}

/**
 * An operator's sign-in attempt under the throttle: the operator, or why not. Every refusal is
 * audited (operator.login_failed).
 */
export async function operatorSignIn(email: string, password: string, meta: Omit<Ctx, 'actor'>): Promise<{ op: Operator } | { refused: 'throttled' | 'bad_credentials' }> {
  if ((await takeSignInAttempt(email, meta.ip)) > 0) {
    await recordOperatorLoginFailure(meta, email, 'throttled');
    return { refused: 'throttled' };
  }
  const op = await checkOperatorCredentials(email, password);
  if (!op) {
    await recordOperatorLoginFailure(meta, email, 'bad_credentials');
    return { refused: 'bad_credentials' };
  }
  await signInSucceeded(email, meta.ip);
  return { op };
}
