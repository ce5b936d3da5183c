import { describe, expect, it } from 'vitest';
import {
  certificateStatus,
  daysLeft,
  diffIdp,
  expiryAnnouncement,
  expiryThreshold,
  soonestCertificate,
  warnedDaysAfterChange,
} from './certificate-expiry';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-06-01T12:00:00Z');
const inDays = (d: number) => new Date(now.getTime() + d * DAY).toISOString();
const cert = (fp: string, days: number) => ({ fingerprintSha256: fp, notBefore: inDays(-300), notAfter: inDays(days), subject: `CN=${fp}` });

describe('expiryThreshold', () => {
  it.each([
    [400, null],
    [30.01, null],
    [30, 30],
    [29.9, 30],
    [14.5, 30],
    [14, 14],
    [8, 14],
    [7, 7],
    [0.001, 7],
    [0, 0],
    [-5, 0],
  ])('%s days left → %s', (days, threshold) => {
    expect(expiryThreshold(inDays(days), now)).toBe(threshold);
  });

  it('counts whole days left, rounding down, negative once expired', () => {
    expect(daysLeft(inDays(29.9), now)).toBe(29);
    expect(daysLeft(inDays(-0.5), now)).toBe(-1);
  });

  it('grades the status for the console', () => {
    expect(certificateStatus(cert('a', 90), now).level).toBe('ok');
    expect(certificateStatus(cert('a', 20), now).level).toBe('warn');
    expect(certificateStatus(cert('a', 10), now).level).toBe('warn');
    expect(certificateStatus(cert('a', 3), now).level).toBe('critical');
    expect(certificateStatus(cert('a', -1), now)).toMatchObject({ level: 'expired', threshold: 0, daysLeft: -1 });
  });
});

describe('expiryAnnouncement', () => {
  const idp = (...certs: ReturnType<typeof cert>[]) => ({ entityId: 'e', certificates: certs });

  it('announces the soonest certificate at each new, smaller threshold, once', () => {
    expect(expiryAnnouncement(idp(cert('a', 60)), null, now)).toEqual({ announce: null, warnedDays: null });
    const first = expiryAnnouncement(idp(cert('a', 400), cert('b', 25)), null, now);
    expect(first.announce).toMatchObject({ fingerprintSha256: 'b', threshold: 30, daysLeft: 25 });
    expect(first.warnedDays).toBe(30);
    expect(expiryAnnouncement(idp(cert('b', 20)), 30, now)).toEqual({ announce: null, warnedDays: 30 });
    expect(expiryAnnouncement(idp(cert('b', 13)), 30, now).warnedDays).toBe(14);
    // Two thresholds crossed at once: one announcement, the smaller.
    expect(expiryAnnouncement(idp(cert('b', 5)), 30, now)).toMatchObject({ announce: { threshold: 7 }, warnedDays: 7 });
    expect(expiryAnnouncement(idp(cert('b', -1)), 7, now)).toMatchObject({ announce: { threshold: 0 }, warnedDays: 0 });
    expect(expiryAnnouncement(idp(cert('b', -9)), 0, now)).toEqual({ announce: null, warnedDays: 0 });
  });

  it('forgets the announcement once nothing is within 30 days, and when there are no certificates', () => {
    expect(expiryAnnouncement(idp(cert('c', 300)), 7, now)).toEqual({ announce: null, warnedDays: null });
    expect(expiryAnnouncement({ issuer: 'oidc' }, null, now)).toEqual({ announce: null, warnedDays: null });
  });

  it('keeps certWarnedDays through a change only while the soonest certificate stays the same', () => {
    const a = cert('a', 10);
    const b = cert('b', 300);
    expect(warnedDaysAfterChange(idp(a), idp(a, b), 14)).toBe(14);
    expect(warnedDaysAfterChange(idp(a, b), idp(b), 14)).toBeNull();
    expect(warnedDaysAfterChange(idp(b), idp(b, cert('c', 5)), 30)).toBeNull();
    expect(soonestCertificate([b, a])).toBe(a);
    expect(soonestCertificate([])).toBeNull();
  });
});

describe('diffIdp', () => {
  const a = cert('a', 100);
  const b = cert('b', 400);

  it('is null when entity ID, SSO URL and certificates are the same (order does not matter)', () => {
    expect(diffIdp({ entityId: 'e', ssoUrl: 's', certificates: [a, b] }, { entityId: 'e', ssoUrl: 's', certificates: [b, a] })).toBeNull();
  });

  it('names added and removed certificates and changed URLs', () => {
    expect(diffIdp({ entityId: 'e', ssoUrl: 's', certificates: [a] }, { entityId: 'e2', ssoUrl: 's2', certificates: [b] })).toEqual({
      entityId: { before: 'e', after: 'e2' },
      ssoUrl: { before: 's', after: 's2' },
      certificates: {
        added: [{ fingerprintSha256: 'b', notAfter: b.notAfter, subject: 'CN=b' }],
        removed: [{ fingerprintSha256: 'a', notAfter: a.notAfter, subject: 'CN=a' }],
      },
    });
    expect(diffIdp({ entityId: 'e', ssoUrl: 's', certificates: [a] }, { entityId: 'e', ssoUrl: 's', certificates: [a, b] })).toEqual({
      certificates: { added: [expect.objectContaining({ fingerprintSha256: 'b' })], removed: [] },
    });
  });
});
