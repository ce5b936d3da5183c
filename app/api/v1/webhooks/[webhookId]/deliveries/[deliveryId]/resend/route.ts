import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { resendDelivery } from '@/lib/dal/webhooks';

export const POST = handle(api.resendWebhookDelivery, async ({ params, ctx }) => resendDelivery(ctx, { tenantId: null }, params.webhookId, params.deliveryId));
