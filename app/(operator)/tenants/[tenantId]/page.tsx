import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/layout/sidebar';
import { DeleteTenantButton } from '@/components/tenants/delete-tenant-button';
import { TenantForm } from '@/components/tenants/tenant-form';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireOperator } from '@/lib/auth/guards';
import { SetupLinks } from '@/components/tenants/setup-links';
import { listPortalLinks } from '@/lib/dal/portal-links';
import { findTenant } from '@/lib/dal/tenants';
import { createPortalLinkAction, deleteTenantAction, revokePortalLinkAction, updateTenantAction } from '../../actions';

export default async function TenantPage({ params }: { params: Promise<{ tenantId: string }> }) {
  await requireOperator();
  const { tenantId } = await params;
  const tenant = await findTenant({ id: tenantId });
  if (!tenant) notFound();
  const links = (await listPortalLinks(tenant.id)).map((l) => ({
    ...l,
    createdAt: l.createdAt.toISOString(),
    expiresAt: l.expiresAt.toISOString(),
    usedAt: l.usedAt?.toISOString() ?? null,
  }));

  return (
    <>
      <PageHeader
        back={{ href: '/tenants', label: 'Tenants' }}
        title={tenant.name}
        description={
          <span className="flex flex-wrap gap-x-4">
            <span>
              Slug <span className="font-mono">{tenant.slug}</span>
            </span>
            <span>
              ID <span className="font-mono" data-testid="tenant-id">{tenant.id}</span>
            </span>
          </span>
        }
        actions={
          <Button asChild variant="outline">
            <Link href={`/t/${tenant.slug}`}>Open tenant console</Link>
          </Button>
        }
      />
      <div className="grid max-w-2xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>Details</CardTitle>
            <CardDescription>Rename the tenant or change the email domains it owns.</CardDescription>
          </CardHeader>
          <CardContent>
            <TenantForm mode="edit" initial={tenant} action={updateTenantAction.bind(null, tenant.id)} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Setup links</CardTitle>
            <CardDescription>
              A one-browser link that lets the customer’s IT admin set up their own SSO, without an account. It opens only the sections you choose.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <SetupLinks links={links} create={createPortalLinkAction.bind(null, tenant.id)} revoke={revokePortalLinkAction.bind(null, tenant.id)} />
          </CardContent>
        </Card>
        <Card className="border-red-200">
          <CardHeader>
            <CardTitle>Delete tenant</CardTitle>
            <CardDescription>Removes the tenant, its domains, connections and users. Its audit events are kept.</CardDescription>
          </CardHeader>
          <CardContent>
            <DeleteTenantButton name={tenant.name} action={deleteTenantAction.bind(null, tenant.id)} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
