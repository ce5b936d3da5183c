import { PageHeader } from '@/components/layout/sidebar';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { WebhookForm } from '@/components/webhooks/webhook-form';
import { WebhookList } from '@/components/webhooks/webhook-list';
import { requireTenant } from '@/lib/auth/guards';
import { listWebhooks } from '@/lib/dal/webhooks';
import { createWebhookAction } from './actions';

export default async function WebhooksPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'audit_log');
  const { data } = await listWebhooks({ tenantId: tenant.id }, { limit: 200 });
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Stream this tenant's audit log to your SIEM, or get a signed POST when users and connections change. Events arrive in order, at least once, within seconds."
      />
      <div className="grid max-w-5xl gap-6">
        <WebhookList webhooks={data} base={`/t/${slug}/webhooks`} />
        <Card>
          <CardHeader>
            <CardTitle>Add an endpoint</CardTitle>
            <CardDescription>Only events that happen after the endpoint is created are sent.</CardDescription>
          </CardHeader>
          <CardContent>
            <WebhookForm action={createWebhookAction.bind(null, slug)} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
