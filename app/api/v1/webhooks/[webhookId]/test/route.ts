import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { sendTestEvent } from '@/lib/dal/webhooks';

export const POST = handle(api.testWebhook, async ({ params, ctx }) => sendTestEvent(ctx, { tenantId: null }, params.webhookId));
