import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteWebhook, getWebhook, updateWebhook } from '@/lib/dal/webhooks';

export const GET = handle(api.getWebhook, async ({ params }) => getWebhook({ tenantId: null }, params.webhookId));

export const PATCH = handle(api.updateWebhook, async ({ params, body, ctx }) => updateWebhook(ctx, { tenantId: null }, params.webhookId, body));

export const DELETE = handle(api.deleteWebhook, async ({ params, ctx }) => deleteWebhook(ctx, { tenantId: null }, params.webhookId));
