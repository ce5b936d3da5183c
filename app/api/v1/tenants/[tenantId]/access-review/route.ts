import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listAccessReview, resolveFilter } from '@/lib/access-review/query';
import { getTenant } from '@/lib/dal/tenants';

export const GET = handle(api.listAccessReview, async ({ params, query }) => {
  const tenant = await getTenant(params.tenantId);
  const { limit, cursor, ...filter } = query;
  return listAccessReview(tenant.id, await resolveFilter(tenant.id, filter), { limit, cursor });
});
