import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { previewRoles } from '@/lib/dal/role-mappings';
import { getTenant } from '@/lib/dal/tenants';

export const POST = handle(api.previewRoleMapping, async ({ params, body }) =>
  previewRoles(await getTenant(params.tenantId), body.attributes),
);
