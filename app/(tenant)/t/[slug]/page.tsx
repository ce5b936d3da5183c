import { TenantCertificateAlerts } from '@/components/connections/certificate-alerts';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { provisioningOf } from '@/lib/dal/tenants';
import { RoleMappingsOverviewCard } from '@/components/role-mappings/overview-card';
import { roleMappingOf } from '@/lib/dal/role-mappings';

const STRATEGY: Record<string, string> = {
  jit: 'Just-in-time: accounts are created at first SSO sign-in',
  scim: 'SCIM: only users pushed by your directory can sign in',
  self_registration: 'Self-registration: people from allowed domains create their account',
};

export default async function TenantOverview({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { principal, tenant } = await requireTenant(slug);
  const prov = provisioningOf(tenant);
  return (
    <>
      <PageHeader title="Overview" description={`Single sign-on and provisioning for ${tenant.name}.`} />
      <div className="grid max-w-4xl gap-5 md:grid-cols-2">
        <TenantCertificateAlerts principal={principal} tenant={tenant} />
        <Card className="md:col-span-2">
          <CardHeader>
            <CardTitle>Domains</CardTitle>
            <CardDescription>People with these email domains sign in through this organisation.</CardDescription>
          </CardHeader>
          <CardContent>
            {tenant.domains.length ? (
              <ul aria-label="Domains" className="flex flex-wrap gap-2">
                {tenant.domains.map((d) => (
                  <li key={d}>
                    <Badge>{d}</Badge>
                  </li>
                ))}
              </ul>
            ) : (
              <p className="text-sm text-muted-foreground">No domains yet. Ask your portal operator to add your email domains.</p>
            )}
          </CardContent>
        </Card>
        <Section id="connections" title="Connections" empty="No SSO connection yet. Connecting your SAML or OIDC identity provider comes here." />
        <Section id="directories" title="Directories" empty="No SCIM directory yet. Directory sync from Okta or Entra ID comes here." />
        <Card id="provisioning">
          <CardHeader>
            <CardTitle>Provisioning</CardTitle>
            <CardDescription>How accounts are created.</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-1 text-sm">
            <p>{STRATEGY[prov.strategy]}</p>
            <p className="text-muted-foreground">Default role: {prov.defaultRole ?? 'none'}</p>
          </CardContent>
        </Card>
        <RoleMappingsOverviewCard base={`/t/${tenant.slug}`} mapping={roleMappingOf(tenant)} />
        <Section id="audit-log" title="Audit log" empty="The audit log of this organisation will be shown here." className="md:col-span-2" />
      </div>
    </>
  );
}

function Section({ id, title, empty, className }: { id: string; title: string; empty: string; className?: string }) {
  return (
    <Card id={id} className={className}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        <p className="text-sm text-muted-foreground">{empty}</p>
      </CardContent>
    </Card>
  );
}
