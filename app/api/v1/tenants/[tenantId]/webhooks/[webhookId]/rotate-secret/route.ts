import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { rotateWebhookSecret } from '@/lib/dal/webhooks';

export const POST = handle(api.rotateTenantWebhookSecret, async ({ params, ctx }) => rotateWebhookSecret(ctx, { tenantId: params.tenantId }, params.webhookId));
