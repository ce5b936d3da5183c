import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteWebhook, getWebhook, updateWebhook } from '@/lib/dal/webhooks';

export const GET = handle(api.getTenantWebhook, async ({ params }) => getWebhook({ tenantId: params.tenantId }, params.webhookId));

export const PATCH = handle(api.updateTenantWebhook, async ({ params, body, ctx }) => updateWebhook(ctx, { tenantId: params.tenantId }, params.webhookId, body));

export const DELETE = handle(api.deleteTenantWebhook, async ({ params, ctx }) => deleteWebhook(ctx, { tenantId: params.tenantId }, params.webhookId));
