import { CopyValue } from '@/components/connections/copy-value';
import { VerifyDomainButton } from '@/components/domains/verify-button';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { listDomains, toDomainView } from '@/lib/dal/domains';
import { verifyDomainAction } from './actions';

export default async function DomainsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'domains');
  const domains = (await listDomains(tenant.id)).map(toDomainView);
  return (
    <>
      <PageHeader title="Domains" description="Prove you control each email domain by publishing a DNS TXT record." />
      <div className="grid max-w-3xl gap-4">
        {domains.length === 0 && (
          <EmptyState>No domains yet. Ask your portal operator to add your organisation’s email domains.</EmptyState>
        )}
        {domains.map((d) => (
          <Card key={d.domain}>
            <CardHeader className="flex-row items-center justify-between">
              <CardTitle>{d.domain}</CardTitle>
              {d.verified ? <Badge tone="good">verified</Badge> : <Badge tone="warn">not verified</Badge>}
            </CardHeader>
            <CardContent className="grid gap-3">
              {!d.verified && (
                <>
                  <CopyValue label={`TXT record name for ${d.domain}`} value={d.verificationRecord.name} />
                  <CopyValue label={`TXT record value for ${d.domain}`} value={d.verificationRecord.value} />
                </>
              )}
              <VerifyDomainButton domain={d.domain} action={verifyDomainAction.bind(null, slug, d.domain)} />
            </CardContent>
          </Card>
        ))}
      </div>
    </>
  );
}
