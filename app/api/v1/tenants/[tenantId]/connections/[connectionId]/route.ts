import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteConnection, getConnection, toConnectionView, updateConnection } from '@/lib/dal/connections';

export const GET = handle(api.getConnection, async ({ params }) =>
  toConnectionView(await getConnection(params.tenantId, params.connectionId)),
);

export const PATCH = handle(api.updateConnection, async ({ params, body, ctx }) =>
  updateConnection(ctx, params.tenantId, params.connectionId, body),
);

export const DELETE = handle(api.deleteConnection, async ({ params, ctx }) =>
  deleteConnection(ctx, params.tenantId, params.connectionId),
);
