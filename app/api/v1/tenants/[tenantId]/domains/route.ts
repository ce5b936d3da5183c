import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listDomains, toDomainView } from '@/lib/dal/domains';
import { getTenant } from '@/lib/dal/tenants';

export const GET = handle(api.listDomains, async ({ params }) => {
  const tenant = await getTenant(params.tenantId);
  return { data: (await listDomains(tenant.id)).map(toDomainView) };
});
