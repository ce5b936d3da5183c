import { Badge } from '@/components/ui/badge';

/** Where a domain came from and whether sign-in uses it (home-realm discovery and the email-domain check). */
export function DomainTrustBadges({ addedBy, verified, trusted }: { addedBy: 'operator' | 'admin'; verified: boolean; trusted: boolean }) {
  return (
    <span className="flex flex-wrap items-center gap-1.5">
      {verified ? <Badge tone="good">verified</Badge> : <Badge tone="warn">not verified</Badge>}
      <Badge>{addedBy === 'operator' ? 'added by operator' : 'added by admin'}</Badge>
      {trusted ? (
        <Badge tone="good">used for sign-in</Badge>
      ) : (
        <Badge tone="bad" title="Verify the DNS TXT record to use this domain for sign-in">
          not used for sign-in until verified
        </Badge>
      )}
    </span>
  );
}
