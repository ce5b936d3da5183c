import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createConnection, listConnections, toConnectionView } from '@/lib/dal/connections';
import { getTenant } from '@/lib/dal/tenants';

export const POST = handle(api.createConnection, async ({ params, body, ctx }) => createConnection(ctx, params.tenantId, body));

export const GET = handle(api.listConnections, async ({ params, query }) => {
  const tenant = await getTenant(params.tenantId);
  const page = await listConnections(tenant.id, query);
  return { data: page.data.map(toConnectionView), nextCursor: page.nextCursor };
});
