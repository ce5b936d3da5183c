import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listDeliveries } from '@/lib/dal/webhooks';

export const GET = handle(api.listWebhookDeliveries, async ({ params, query }) => listDeliveries({ tenantId: null }, params.webhookId, query));
