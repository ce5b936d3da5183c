import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/layout/sidebar';
import { WebhookDetail } from '@/components/webhooks/webhook-detail';
import { requireOperator } from '@/lib/auth/guards';
import { getWebhook, listDeliveries } from '@/lib/dal/webhooks';
import { AppError } from '@/lib/errors';
import { deleteWebhookAction, resendDeliveryAction, rotateWebhookSecretAction, sendTestEventAction, setWebhookEnabledAction, updateWebhookAction } from '../actions';

export default async function OperatorWebhookPage({ params, searchParams }: { params: Promise<{ webhookId: string }>; searchParams: Promise<{ cursor?: string }> }) {
  await requireOperator();
  const { webhookId } = await params;
  const sp = await searchParams;
  const scope = { tenantId: null };
  const webhook = await getWebhook(scope, webhookId).catch((e) => {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  });
  const cursor = typeof sp.cursor === 'string' && sp.cursor.length <= 64 ? sp.cursor : undefined;
  const deliveries = await listDeliveries(scope, webhook.id, { limit: 50, cursor });
  return (
    <>
      <PageHeader back={{ href: '/webhooks', label: 'Webhooks' }} title="Operator-wide webhook endpoint" description="Events of every tenant and of the operator console." />
      <WebhookDetail
        webhook={webhook}
        deliveries={{ ...deliveries, first: !cursor }}
        base="/webhooks"
        actions={{
          sendTest: sendTestEventAction.bind(null, webhook.id),
          update: updateWebhookAction.bind(null, webhook.id),
          setEnabled: setWebhookEnabledAction.bind(null, webhook.id),
          rotate: rotateWebhookSecretAction.bind(null, webhook.id),
          remove: deleteWebhookAction.bind(null, webhook.id),
          resend: resendDeliveryAction.bind(null, webhook.id),
        }}
      />
    </>
  );
}
