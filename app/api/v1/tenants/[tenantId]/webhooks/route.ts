import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createWebhook, listWebhooks } from '@/lib/dal/webhooks';
import { getTenant } from '@/lib/dal/tenants';

export const POST = handle(api.createTenantWebhook, async ({ params, body, ctx }) => createWebhook(ctx, { tenantId: params.tenantId }, body));

export const GET = handle(api.listTenantWebhooks, async ({ params, query }) => {
  const tenant = await getTenant(params.tenantId);
  return listWebhooks({ tenantId: tenant.id }, query);
});
