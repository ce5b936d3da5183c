import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { rotateWebhookSecret } from '@/lib/dal/webhooks';

export const POST = handle(api.rotateWebhookSecret, async ({ params, ctx }) => rotateWebhookSecret(ctx, { tenantId: null }, params.webhookId));
