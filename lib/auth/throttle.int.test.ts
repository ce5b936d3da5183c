import { and, eq, isNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/lib/db/client';
import { auditEvents } from '@/lib/db/schema';
import { recordOperatorLoginFailure } from '@/lib/dal/operators';
import { blockMs, clearSignInFailures, FREE_FAILURES, recordSignInFailure, signInBlockedFor } from './throttle';

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
    for (let i = 0; i < FREE_FAILURES; i++) await recordSignInFailure(e, null, now);
    expect(await signInBlockedFor(e, null, now)).toBe(0);
    await recordSignInFailure(e, null, now);
    expect(await signInBlockedFor(e, null, now)).toBe(30_000);
    // Upper- and lower-case are one account; the block is over once its time has passed.
    expect(await signInBlockedFor(e.toUpperCase(), null, now)).toBe(30_000);
    expect(await signInBlockedFor(e, null, new Date(now.getTime() + 31_000))).toBe(0);
    await clearSignInFailures(e);
    expect(await signInBlockedFor(e, null, now)).toBe(0);
  });

  it('blocks a client address that tries many accounts', async () => {
    const ip = `198.51.100.${(process.pid % 200) + 1}`;
    const now = new Date();
    await clearSignInFailures('x');
    for (let i = 0; i < FREE_FAILURES + 1; i++) await recordSignInFailure(email(), ip, now);
    expect(await signInBlockedFor(email(), ip, now)).toBeGreaterThan(0);
    expect(await signInBlockedFor(email(), '198.51.100.250', now)).toBe(0);
  });

  it('a new window starts once 15 minutes have passed', async () => {
    const e = email();
    const then = new Date(Date.now() - 20 * 60 * 1000);
    for (let i = 0; i < FREE_FAILURES; i++) await recordSignInFailure(e, null, then);
    await recordSignInFailure(e, null, new Date());
    expect(await signInBlockedFor(e, null)).toBe(0);
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
