import { CopyValue } from '@/components/connections/copy-value';
import { AddDomainForm } from '@/components/domains/add-domain-form';
import { DomainTrustBadges } from '@/components/domains/domain-trust-badge';
import { RemoveDomainButton } from '@/components/domains/remove-domain-button';
import { VerifyDomainButton } from '@/components/domains/verify-button';
import { PageHeader } from '@/components/layout/sidebar';
import { EmptyState } from '@/components/ui/empty-state';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { isOperator } from '@/lib/auth/permissions';
import { listDomains, toDomainView } from '@/lib/dal/domains';
import { addDomainAction, removeDomainAction, verifyDomainAction } from './actions';

export default async function DomainsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { principal, tenant } = await requireTenant(slug, 'domains');
  const operator = isOperator(principal);
  const domains = (await listDomains(tenant.id)).map(toDomainView);
  return (
    <>
      <PageHeader
        title="Domains"
        description="People with these email domains sign in through this organisation. Prove you control each domain by publishing a DNS TXT record."
      />
      <div className="grid max-w-3xl gap-4">
        {domains.length === 0 && <EmptyState>No domains yet. Add your organisation’s email domain below.</EmptyState>}
        {domains.map((d) => (
          <Card key={d.domain} aria-label={`Domain ${d.domain}`}>
            <CardHeader className="flex-row flex-wrap items-center justify-between gap-2">
              <CardTitle>{d.domain}</CardTitle>
              <DomainTrustBadges addedBy={d.addedBy} verified={d.verified} trusted={d.trusted} />
            </CardHeader>
            <CardContent className="grid gap-3">
              {!d.trusted && (
                <p className="text-sm text-muted-foreground">
                  Added in this console: sign-in uses this domain (routing people to your identity provider, accepting their
                  addresses) only after the TXT record below is verified.
                </p>
              )}
              {!d.verified && (
                <>
                  <CopyValue label={`TXT record name for ${d.domain}`} value={d.verificationRecord.name} />
                  <CopyValue label={`TXT record value for ${d.domain}`} value={d.verificationRecord.value} />
                </>
              )}
              <div className="flex flex-wrap items-center gap-2">
                <VerifyDomainButton domain={d.domain} action={verifyDomainAction.bind(null, slug, d.domain)} />
                {(operator || d.addedBy === 'admin') && (
                  <RemoveDomainButton domain={d.domain} action={removeDomainAction.bind(null, slug, d.domain)} />
                )}
              </div>
            </CardContent>
          </Card>
        ))}
        <Card>
          <CardHeader>
            <CardTitle>Add a domain</CardTitle>
            <CardDescription>Consumer mail domains (gmail.com, outlook.com, …) cannot belong to an organisation.</CardDescription>
          </CardHeader>
          <CardContent>
            <AddDomainForm action={addDomainAction.bind(null, slug)} needsVerification={!operator} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
