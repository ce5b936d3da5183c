import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { resendDelivery } from '@/lib/dal/webhooks';

export const POST = handle(api.resendTenantWebhookDelivery, async ({ params, ctx }) =>
  resendDelivery(ctx, { tenantId: params.tenantId }, params.webhookId, params.deliveryId),
);
