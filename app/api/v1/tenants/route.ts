import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createTenant, listTenants, toTenantView } from '@/lib/dal/tenants';

export const POST = handle(api.createTenant, async ({ body, ctx }) => toTenantView(await createTenant(ctx, body)));

export const GET = handle(api.listTenants, async ({ query }) => {
  const page = await listTenants(query);
  return { data: page.data.map(toTenantView), nextCursor: page.nextCursor };
});
