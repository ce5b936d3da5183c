import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/layout/sidebar';
import { DeleteTenantButton } from '@/components/tenants/delete-tenant-button';
import { TenantForm } from '@/components/tenants/tenant-form';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireOperator } from '@/lib/auth/guards';
import { findTenant } from '@/lib/dal/tenants';
import { deleteTenantAction, updateTenantAction } from '../../actions';

export default async function TenantPage({ params }: { params: Promise<{ tenantId: string }> }) {
  await requireOperator();
  const { tenantId } = await params;
  const tenant = await findTenant({ id: tenantId });
  if (!tenant) notFound();

  return (
    <>
      <PageHeader
        title={tenant.name}
        description={<span className="font-mono">{tenant.slug}</span>}
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
