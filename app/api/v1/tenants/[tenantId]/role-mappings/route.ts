import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { putRoleMapping, roleMappingOf } from '@/lib/dal/role-mappings';
import { getTenant } from '@/lib/dal/tenants';

export const GET = handle(api.getRoleMapping, async ({ params }) => roleMappingOf(await getTenant(params.tenantId)));

export const PUT = handle(api.putRoleMapping, async ({ params, body, ctx }) => putRoleMapping(ctx, params.tenantId, body));
