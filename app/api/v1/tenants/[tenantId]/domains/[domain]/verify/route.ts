import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { toDomainView, verifyDomain } from '@/lib/dal/domains';
import { getTenant } from '@/lib/dal/tenants';

export const POST = handle(api.verifyDomain, async ({ params, ctx }) => {
  const tenant = await getTenant(params.tenantId);
  return toDomainView(await verifyDomain(ctx, tenant.id, params.domain));
});
