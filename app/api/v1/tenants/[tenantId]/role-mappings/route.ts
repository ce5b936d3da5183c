import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { roleMappingOf } from '@/lib/dal/role-mappings';
import { saveRoleMapping } from '@/lib/provisioning/apply';
import { getTenant } from '@/lib/dal/tenants';

export const GET = handle(api.getRoleMapping, async ({ params }) => roleMappingOf(await getTenant(params.tenantId)));

// Through the API a mapping applies at once, so existing users' roles follow the stored rules (the
// console may defer that to each user's next sign-in or SCIM update), and may name new roles.
export const PUT = handle(api.putRoleMapping, async ({ params, body, ctx }) => (await saveRoleMapping(ctx, params.tenantId, body as never, { applyNow: true, newRoles: 'add' })).mapping);
