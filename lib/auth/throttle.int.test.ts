import { and, eq, isNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { auditEvents, signInThrottle } from '@/lib/db/schema';
import { recordOperatorLoginFailure } from '@/lib/dal/operators';
import { SYSTEM } from '@/lib/audit/types';
import { ensureOperator } from '@/lib/dal/operators';
import { blockMs, clearSignInFailures, FREE_FAILURES, operatorSignIn, sweepSignInThrottle, takeSignInAttempt } from './throttle';

let n = 0;
const email = () => `op-${process.pid}-${Date.now().toString(36)}-${n++}@example.com`;

describe('operator sign-in throttling', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('blocks after the free failures, with a growing wait, per account', async () => {
    expect([1, 4, 5, 6, 7, 20].map(blockMs)).toEqual([0, 0, 30_000, 60_000, 120_000, 900_000]);
    const e = email();
    const now = new Date();
    for (let i = 0; i < FREE_FAILURES; i++) expect(await takeSignInAttempt(e, null, now)).toBe(0);
    // The 5th goes ahead, and blocks what follows (a refused attempt changes nothing).
    expect(await takeSignInAttempt(e, null, now)).toBe(0);
    expect(await takeSignInAttempt(e, null, now)).toBe(30_000);
    // Upper- and lower-case are one account; the block is over once its time has passed.
    expect(await takeSignInAttempt(e.toUpperCase(), null, now)).toBe(30_000);
    expect(await takeSignInAttempt(e, null, new Date(now.getTime() + 31_000))).toBe(0);
    await clearSignInFailures(e);
    expect(await takeSignInAttempt(e, null, now)).toBe(0);
  });

  it('a burst of guesses at once gets no more password checks than guesses one after another (5), then waits', async () => {
    const e = email();
    await ensureOperator(SYSTEM, e, 'the-right-password-0123');
    const meta = { ip: '203.0.113.77', userAgent: 'vitest' };
    const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => operatorSignIn(e, `wrong-${i}`, meta)));
    const refused = burst.map((r) => ('refused' in r ? r.refused : 'signed_in'));
    expect(refused.filter((r) => r === 'bad_credentials')).toHaveLength(FREE_FAILURES + 1);
    expect(refused.filter((r) => r === 'throttled')).toHaveLength(20 - FREE_FAILURES - 1);
    // Now even the right password waits.
    expect(await operatorSignIn(e, 'the-right-password-0123', meta)).toEqual({ refused: 'throttled' });
    // Every checked guess is in the audit log; throttled ones once a minute per account or address.
    const db = await getDb();
    const logged = await db.select().from(auditEvents).where(and(isNull(auditEvents.tenantId), eq(auditEvents.action, 'operator.login_failed'), eq(auditEvents.targetLabel, e)));
    expect(logged.filter((ev) => ev.reason === 'bad_credentials')).toHaveLength(FREE_FAILURES + 1);
    expect(logged.filter((ev) => ev.reason === 'throttled')).toHaveLength(1);
  });

  it('a success frees the account and does not count against the address', async () => {
    const e = email();
    await ensureOperator(SYSTEM, e, 'the-right-password-0123');
    const meta = { ip: '203.0.113.78', userAgent: 'vitest' };
    for (let i = 0; i < 10; i++) expect('op' in (await operatorSignIn(e, 'the-right-password-0123', meta))).toBe(true);
    for (let i = 0; i < FREE_FAILURES; i++) expect(await operatorSignIn(e, 'wrong', meta)).toEqual({ refused: 'bad_credentials' });
    expect('op' in (await operatorSignIn(e, 'the-right-password-0123', meta))).toBe(true);
    expect(await takeSignInAttempt(email(), meta.ip)).toBe(0);
  });

  it('blocks a client address that tries many accounts', async () => {
    const ip = `198.51.100.${(process.pid % 200) + 1}`;
    const now = new Date();
    await clearSignInFailures('x');
    for (let i = 0; i < FREE_FAILURES + 1; i++) await takeSignInAttempt(email(), ip, now);
    expect(await takeSignInAttempt(email(), ip, now)).toBeGreaterThan(0);
    expect(await takeSignInAttempt(email(), '198.51.100.250', now)).toBe(0);
  });

  it('a new window starts once 15 minutes have passed', async () => {
    const e = email();
    const then = new Date(Date.now() - 20 * 60 * 1000);
    for (let i = 0; i < FREE_FAILURES; i++) await takeSignInAttempt(e, null, then);
    expect(await takeSignInAttempt(e, null, new Date())).toBe(0);
  });

  it('forgets rows whose window and block are over (anyone can add rows: any email, any address)', async () => {
    const stale = email();
    const blocked = email();
    const then = new Date(Date.now() - 20 * 60 * 1000);
    await takeSignInAttempt(stale, '192.0.2.200', then);
    const db = await getDb();
    // A window begun 16 minutes ago whose last failure blocked it for 15 minutes, a minute ago.
    await db.insert(signInThrottle).values({ key: `email:${blocked}`, failures: 9, windowStart: new Date(Date.now() - 16 * 60 * 1000), blockedUntil: new Date(Date.now() + 14 * 60 * 1000) });
    await sweepSignInThrottle();
    const keys = (await db.select().from(signInThrottle)).map((r) => r.key);
    expect(keys).not.toContain(`email:${stale}`);
    expect(keys).not.toContain('ip:192.0.2.200');
    expect(keys).toContain(`email:${blocked}`);
  });

  it('writes operator.login_failed in the operator log, with the reason and never the password', async () => {
    const e = email();
    await recordOperatorLoginFailure({ ip: '203.0.113.7', userAgent: 'vitest' }, e, 'bad_credentials');
    const db = await getDb();
    const [ev] = await db
      .select()
      .from(auditEvents)
      .where(and(isNull(auditEvents.tenantId), eq(auditEvents.action, 'operator.login_failed'), eq(auditEvents.targetLabel, e)));
    expect(ev).toMatchObject({ outcome: 'failure', reason: 'bad_credentials', ip: '203.0.113.7' });
  });
});
