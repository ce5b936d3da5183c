import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteTenant, getTenant, toTenantView, updateTenant } from '@/lib/dal/tenants';

export const GET = handle(api.getTenant, async ({ params }) => toTenantView(await getTenant(params.tenantId)));

export const PATCH = handle(api.updateTenant, async ({ params, body, ctx }) =>
  toTenantView(await updateTenant(ctx, params.tenantId, body)),
);

export const DELETE = handle(api.deleteTenant, async ({ params, ctx }) => deleteTenant(ctx, params.tenantId));
