import { describe, expect, it } from 'vitest';
import { sessionVerdict } from './session';

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const row = (o: { lastSeen?: number | null; expires?: number } = {}) => ({
  createdAt: T0,
  expiresAt: at(o.expires ?? 8 * 3600),
  lastSeenAt: o.lastSeen === undefined || o.lastSeen === null ? null : at(o.lastSeen),
});

describe('sessionVerdict', () => {
  it.each([
    // policy, session, now (s), verdict
    [{}, row(), 100, { live: true, expiresAt: at(8 * 3600), touch: true }],
    [{}, row(), 8 * 3600, { live: false, reason: 'expired' }],
    [{ sessionMaxAgeSeconds: 3600 }, row(), 3599, { live: true, expiresAt: at(3600), touch: true }],
    [{ sessionMaxAgeSeconds: 3600 }, row(), 3600, { live: false, reason: 'max_age' }],
    // never seen since sign-in: idle counts from createdAt, exactly
    [{ sessionIdleSeconds: 600 }, row(), 599, { live: true, expiresAt: at(599 + 600 + 60), touch: true }],
    [{ sessionIdleSeconds: 600 }, row(), 600, { live: false, reason: 'idle' }],
    // seen (written) at 500: a request may have come up to a minute later without a write
    [{ sessionIdleSeconds: 600 }, row({ lastSeen: 500 }), 1159, { live: true, expiresAt: at(1159 + 660), touch: true }],
    [{ sessionIdleSeconds: 600 }, row({ lastSeen: 500 }), 1160, { live: false, reason: 'idle' }],
    // seen 30 s ago: no write yet, and the deadline stays counted from the last write
    [{ sessionIdleSeconds: 600 }, row({ lastSeen: 500 }), 530, { live: true, expiresAt: at(1160), touch: false }],
    // active every 30 s with a 60 s idle timeout: never signed out early (writes skipped in between)
    [{ sessionIdleSeconds: 60 }, row({ lastSeen: 100 }), 159, { live: true, expiresAt: at(220), touch: false }],
    [{ sessionIdleSeconds: 60 }, row({ lastSeen: 100 }), 219, { live: true, expiresAt: at(219 + 120), touch: true }],
    [{ sessionIdleSeconds: 600, sessionMaxAgeSeconds: 1000 }, row({ lastSeen: 900 }), 990, { live: true, expiresAt: at(1000), touch: true }],
    [{ sessionMaxAgeSeconds: 90 * 86400 }, row(), 100, { live: true, expiresAt: at(8 * 3600), touch: true }],
  ] as const)('%j %j at +%ss', (policy, s, now, verdict) => {
    expect(sessionVerdict(policy, s, at(now))).toEqual(verdict);
  });
});
