import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createDirectory, listDirectories } from '@/lib/dal/directories';
import { getTenant } from '@/lib/dal/tenants';

export const POST = handle(api.createDirectory, async ({ params, body, ctx }) => createDirectory(ctx, params.tenantId, body));

export const GET = handle(api.listDirectories, async ({ params, query }) => {
  const tenant = await getTenant(params.tenantId);
  return listDirectories(tenant.id, query);
});
