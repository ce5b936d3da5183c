import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getTenant, provisioningOf, setProvisioning } from '@/lib/dal/tenants';

export const GET = handle(api.getProvisioning, async ({ params }) => provisioningOf(await getTenant(params.tenantId)));

export const PUT = handle(api.putProvisioning, async ({ params, body, ctx }) =>
  setProvisioning(ctx, params.tenantId, body, 'add'),
);
