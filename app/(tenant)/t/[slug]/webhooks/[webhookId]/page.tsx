import { notFound } from 'next/navigation';
import { PageHeader } from '@/components/layout/sidebar';
import { WebhookDetail } from '@/components/webhooks/webhook-detail';
import { requireTenant } from '@/lib/auth/guards';
import { getWebhook, listDeliveries } from '@/lib/dal/webhooks';
import { AppError } from '@/lib/errors';
import {
  deleteWebhookAction,
  resendDeliveryAction,
  rotateWebhookSecretAction,
  sendTestEventAction,
  setWebhookEnabledAction,
  updateWebhookAction,
} from '../actions';

export default async function WebhookPage({ params, searchParams }: { params: Promise<{ slug: string; webhookId: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { slug, webhookId } = await params;
  const sp = await searchParams;
  const { tenant } = await requireTenant(slug, 'audit_log');
  const scope = { tenantId: tenant.id };
  const webhook = await getWebhook(scope, webhookId).catch((e) => {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  });
  const cursor = typeof sp.cursor === 'string' && sp.cursor.length <= 64 ? sp.cursor : undefined;
  const deliveries = await listDeliveries(scope, webhook.id, { limit: 50, cursor });
  return (
    <>
      <PageHeader back={{ href: `/t/${slug}/webhooks`, label: 'Webhooks' }} title="Webhook endpoint" description="Its health, a test event, and every delivery attempt." />
      <WebhookDetail
        webhook={webhook}
        deliveries={{ ...deliveries, first: !cursor }}
        base={`/t/${slug}/webhooks`}
        actions={{
          sendTest: sendTestEventAction.bind(null, slug, webhook.id),
          update: updateWebhookAction.bind(null, slug, webhook.id),
          setEnabled: setWebhookEnabledAction.bind(null, slug, webhook.id),
          rotate: rotateWebhookSecretAction.bind(null, slug, webhook.id),
          remove: deleteWebhookAction.bind(null, slug, webhook.id),
          resend: resendDeliveryAction.bind(null, slug, webhook.id),
        }}
      />
    </>
  );
}
