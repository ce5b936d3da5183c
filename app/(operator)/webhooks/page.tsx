import { PageHeader } from '@/components/layout/sidebar';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { WebhookForm } from '@/components/webhooks/webhook-form';
import { WebhookList } from '@/components/webhooks/webhook-list';
import { requireOperator } from '@/lib/auth/guards';
import { listWebhooks } from '@/lib/dal/webhooks';
import { createWebhookAction } from './actions';

export default async function OperatorWebhooksPage() {
  await requireOperator();
  const { data } = await listWebhooks({ tenantId: null }, { limit: 200 });
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Operator-wide endpoints receive the events of every tenant and of the operator console. Tenants' own endpoints are on each tenant's Webhooks page."
      />
      <div className="grid max-w-5xl gap-6">
        <WebhookList webhooks={data} base="/webhooks" />
        <Card>
          <CardHeader>
            <CardTitle>Add an operator-wide endpoint</CardTitle>
            <CardDescription>Only events that happen after the endpoint is created are sent.</CardDescription>
          </CardHeader>
          <CardContent>
            <WebhookForm action={createWebhookAction} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
