import { PageHeader } from '@/components/layout/sidebar';
import { ProvisioningForm } from '@/components/provisioning/provisioning-form';
import { Card, CardContent } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { provisioningOf } from '@/lib/dal/tenants';
import { saveProvisioningAction } from './actions';

export default async function ProvisioningPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'sso');
  return (
    <>
      <PageHeader title="Provisioning" description="How people get an account in this organisation." />
      <Card className="max-w-2xl">
        <CardContent className="pt-5">
          <ProvisioningForm initial={provisioningOf(tenant)} roles={tenant.roles} action={saveProvisioningAction.bind(null, slug)} />
        </CardContent>
      </Card>
    </>
  );
}
