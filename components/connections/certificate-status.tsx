import { Badge } from '@/components/ui/badge';
import { certificateStatus, connectionCertificateStatus, type CertificateStatus } from '@/lib/sso/saml/certificate-expiry';
import type { IdpInfo } from '@/lib/db/schema/connections';

const TONE = { ok: 'good', warn: 'warn', critical: 'bad', expired: 'bad' } as const;

/** How one status reads: "expires in 12 days", "expired 3 days ago", "valid until 2027-05-01". */
export function expiryText(s: CertificateStatus): string {
  if (s.level === 'expired') {
    const ago = -s.daysLeft - 1;
    return ago <= 0 ? 'expired today' : `expired ${ago} day${ago === 1 ? '' : 's'} ago`;
  }
  if (s.level === 'ok') return `valid until ${s.notAfter.slice(0, 10)}`;
  return s.daysLeft < 1 ? 'expires within a day' : `expires in ${s.daysLeft} day${s.daysLeft === 1 ? '' : 's'}`;
}

/** A signing certificate's expiry, coloured by the 30/14/7-day thresholds. */
export function CertificateExpiryBadge({ certificate, now }: { certificate: { fingerprintSha256: string; notAfter: string }; now?: Date }) {
  const s = certificateStatus(certificate, now);
  return (
    <Badge tone={TONE[s.level]} title={`SHA-256 ${certificate.fingerprintSha256}`}>
      {expiryText(s)}
    </Badge>
  );
}

/** Every certificate of a connection (connections list): one badge each, most urgent first. */
export function CertificateStatusList({ certificates, now }: { certificates?: { fingerprintSha256: string; notAfter: string }[]; now?: Date }) {
  if (!certificates?.length) return null;
  const sorted = [...certificates].sort((a, b) => a.notAfter.localeCompare(b.notAfter));
  return (
    <ul aria-label="Signing certificates" className="grid gap-1">
      {sorted.map((c) => (
        <li key={c.fingerprintSha256}>
          <CertificateExpiryBadge certificate={c} now={now} />
        </li>
      ))}
    </ul>
  );
}

/** A one-line warning when a connection's soonest certificate is within 30 days or expired; nothing otherwise. */
export function CertificateWarning({ idp, now }: { idp: IdpInfo; now?: Date }) {
  const s = connectionCertificateStatus(idp, now);
  if (!s || s.level === 'ok') return null;
  const multiple = (idp.certificates?.length ?? 0) > 1;
  return (
    <p role="alert" className={s.level === 'warn' ? 'text-sm text-amber-700' : 'text-sm text-destructive'}>
      The IdP signing certificate {s.fingerprintSha256.slice(0, 23)}… {expiryText(s)}.{' '}
      {multiple
        ? 'Once your IdP signs with the newer certificate, remove the old one.'
        : 'Add the IdP’s next certificate now so sign-in keeps working through the rollover.'}
    </p>
  );
}
