/**
 * Pure rules of the IdP certificate lifecycle: how close a signing certificate is to expiry,
 * which warning threshold that is, whether the scheduled job has to announce it, and what a
 * metadata refresh changed. No I/O: the console, the job and the API share these.
 */
import type { IdpCertificate, IdpInfo } from '../../db/schema/connections';

/** Warning thresholds in days before `notAfter`; 0 stands for "expired". Largest first. */
export const EXPIRY_THRESHOLDS = [30, 14, 7, 0] as const;
export type ExpiryThreshold = (typeof EXPIRY_THRESHOLDS)[number];

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole days left until `notAfter` (rounded down); negative once expired. */
export function daysLeft(notAfter: string | Date, now: Date = new Date()): number {
  return Math.floor((new Date(notAfter).getTime() - now.getTime()) / DAY_MS);
}

/** The smallest threshold this certificate has reached, or null while it has more than 30 days. */
export function expiryThreshold(notAfter: string | Date, now: Date = new Date()): ExpiryThreshold | null {
  const remaining = new Date(notAfter).getTime() - now.getTime();
  if (remaining <= 0) return 0;
  for (const t of [7, 14, 30] as const) if (remaining <= t * DAY_MS) return t;
  return null;
}

export type CertificateStatus = {
  fingerprintSha256: string;
  notAfter: string;
  daysLeft: number;
  threshold: ExpiryThreshold | null;
  /** ok: more than 30 days; warn: within 30 or 14 days; critical: within 7 days; expired. */
  level: 'ok' | 'warn' | 'critical' | 'expired';
};

export function certificateStatus(c: Pick<IdpCertificate, 'fingerprintSha256' | 'notAfter'>, now: Date = new Date()): CertificateStatus {
  const threshold = expiryThreshold(c.notAfter, now);
  const level = threshold === null ? 'ok' : threshold === 0 ? 'expired' : threshold === 7 ? 'critical' : 'warn';
  return { fingerprintSha256: c.fingerprintSha256, notAfter: c.notAfter, daysLeft: daysLeft(c.notAfter, now), threshold, level };
}

/** The certificate that expires first (what the connection's warnings are about), or null. */
export function soonestCertificate<C extends Pick<IdpCertificate, 'notAfter'>>(certs: C[] | undefined): C | null {
  let best: C | null = null;
  for (const c of certs ?? []) if (!best || new Date(c.notAfter) < new Date(best.notAfter)) best = c;
  return best;
}

/** The connection's most urgent certificate status, or null when it has no certificates. */
export function connectionCertificateStatus(idp: IdpInfo, now: Date = new Date()): CertificateStatus | null {
  const c = soonestCertificate(idp.certificates);
  return c ? certificateStatus(c, now) : null;
}

/**
 * What the expiry job does for one connection, given the threshold already announced
 * (`connections.certWarnedDays`): announce when the soonest certificate reached a threshold
 * smaller than the one announced (several thresholds crossed at once are announced once, as the
 * smallest), and forget the announcement once no certificate is within 30 days any more.
 */
export function expiryAnnouncement(
  idp: IdpInfo,
  warnedDays: number | null,
  now: Date = new Date(),
): { announce: CertificateStatus | null; warnedDays: number | null } {
  const status = connectionCertificateStatus(idp, now);
  if (!status || status.threshold === null) return { announce: null, warnedDays: null };
  if (warnedDays === null || status.threshold < warnedDays) return { announce: status, warnedDays: status.threshold };
  return { announce: null, warnedDays };
}

/**
 * `certWarnedDays` after the certificates changed: kept while the soonest certificate is the
 * same one (it was announced already), otherwise started afresh so the job announces the new one.
 */
export function warnedDaysAfterChange(before: IdpInfo, after: IdpInfo, warnedDays: number | null): number | null {
  const a = soonestCertificate(before.certificates)?.fingerprintSha256;
  const b = soonestCertificate(after.certificates)?.fingerprintSha256;
  return a && a === b ? warnedDays : null;
}

type CertSummary = { fingerprintSha256: string; notAfter: string; subject?: string };

export type IdpDiff = {
  entityId?: { before: string | null; after: string | null };
  ssoUrl?: { before: string | null; after: string | null };
  certificates?: { added: CertSummary[]; removed: CertSummary[] };
};

const summary = (c: IdpCertificate): CertSummary => ({ fingerprintSha256: c.fingerprintSha256, notAfter: c.notAfter, subject: c.subject });

/** What differs between the IdP information in use and newly fetched metadata; null when nothing does. */
export function diffIdp(current: IdpInfo, next: IdpInfo): IdpDiff | null {
  const diff: IdpDiff = {};
  if ((current.entityId ?? null) !== (next.entityId ?? null)) diff.entityId = { before: current.entityId ?? null, after: next.entityId ?? null };
  if ((current.ssoUrl ?? null) !== (next.ssoUrl ?? null)) diff.ssoUrl = { before: current.ssoUrl ?? null, after: next.ssoUrl ?? null };
  const have = new Set((current.certificates ?? []).map((c) => c.fingerprintSha256));
  const want = new Set((next.certificates ?? []).map((c) => c.fingerprintSha256));
  const added = (next.certificates ?? []).filter((c) => !have.has(c.fingerprintSha256)).map(summary);
  const removed = (current.certificates ?? []).filter((c) => !want.has(c.fingerprintSha256)).map(summary);
  if (added.length || removed.length) diff.certificates = { added, removed };
  return Object.keys(diff).length ? diff : null;
}
