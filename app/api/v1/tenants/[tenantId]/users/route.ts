import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getTenant } from '@/lib/dal/tenants';
import { listUsers, toUserView } from '@/lib/dal/users';

export const GET = handle(api.listUsers, async ({ params, query }) => {
  const tenant = await getTenant(params.tenantId);
  const page = await listUsers(tenant.id, query);
  return { data: page.data.map(toUserView), nextCursor: page.nextCursor };
});
