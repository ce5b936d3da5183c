import { describe, expect, it } from 'vitest';
import { DAY_MS, daysInactive, dueIn, inactivityCutoff, isInactive, lastActivity, suspensionDueAt } from './dates';

const now = new Date('2026-03-31T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

describe('inactivity date math', () => {
  it('last activity is the last sign-in, else the creation', () => {
    expect(lastActivity({ lastLoginAt: at('2026-03-01T00:00:00Z'), createdAt: at('2025-01-01T00:00:00Z') })).toEqual(at('2026-03-01T00:00:00Z'));
    expect(lastActivity({ lastLoginAt: null, createdAt: at('2025-01-01T00:00:00Z') })).toEqual(at('2025-01-01T00:00:00Z'));
  });

  it.each([
    // [last sign-in, created, days inactive]
    ['2026-03-31T11:59:59.999Z', '2020-01-01T00:00:00Z', 0],
    ['2026-03-30T12:00:00.001Z', '2020-01-01T00:00:00Z', 0],
    ['2026-03-30T12:00:00.000Z', '2020-01-01T00:00:00Z', 1],
    ['2026-03-01T12:00:00.000Z', '2020-01-01T00:00:00Z', 30],
    ['2026-04-02T00:00:00.000Z', '2020-01-01T00:00:00Z', 0], // in the future (clock skew): 0, not negative
    [null, '2026-01-30T12:00:00.000Z', 60],
    [null, '2026-03-31T12:00:00.000Z', 0],
  ] as const)('last sign-in %s, created %s → %i days inactive', (login, created, days) => {
    expect(daysInactive({ lastLoginAt: login ? at(login) : null, createdAt: at(created) }, now)).toBe(days);
  });

  it('inactive for N days means strictly more than N × 24 h (across a DST change too: UTC only)', () => {
    const exactly30 = { lastLoginAt: new Date(now.getTime() - 30 * DAY_MS), createdAt: at('2020-01-01T00:00:00Z') };
    expect(isInactive(exactly30, 30, now)).toBe(false);
    expect(isInactive({ ...exactly30, lastLoginAt: new Date(exactly30.lastLoginAt.getTime() - 1) }, 30, now)).toBe(true);
    expect(isInactive({ lastLoginAt: null, createdAt: at('2026-03-01T11:59:59.999Z') }, 30, now)).toBe(true);
    expect(isInactive({ lastLoginAt: null, createdAt: at('2026-03-01T12:00:00.001Z') }, 30, now)).toBe(false);
    expect(inactivityCutoff(now, 90).toISOString()).toBe('2025-12-31T12:00:00.000Z');
  });

  it('a policy suspends at last activity + N days', () => {
    expect(suspensionDueAt({ lastLoginAt: at('2026-01-31T08:00:00Z'), createdAt: at('2020-01-01T00:00:00Z') }, 60).toISOString()).toBe('2026-04-01T08:00:00.000Z');
    expect(suspensionDueAt({ lastLoginAt: null, createdAt: at('2025-12-31T23:00:00Z') }, 1).toISOString()).toBe('2026-01-01T23:00:00.000Z');
    expect(suspensionDueAt({ lastLoginAt: null, createdAt: at('2020-02-28T00:00:00Z') }, 3650).toISOString()).toBe('2030-02-25T00:00:00.000Z');
  });

  it('says when in words', () => {
    expect(dueIn(at('2026-03-31T11:00:00Z'), now)).toBe('due now');
    expect(dueIn(at('2026-03-31T12:20:00Z'), now)).toBe('in 20 min');
    expect(dueIn(at('2026-03-31T17:00:00Z'), now)).toBe('in 5 h');
    expect(dueIn(at('2026-04-01T13:00:00Z'), now)).toBe('in 1 day');
    expect(dueIn(at('2026-04-10T12:00:00Z'), now)).toBe('in 10 days');
  });
});
