import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getTenant } from '@/lib/dal/tenants';
import { suspendUsers, toUserView } from '@/lib/dal/users';

export const POST = handle(api.bulkSuspendUsers, async ({ params, body, ctx }) => {
  const tenant = await getTenant(params.tenantId);
  const r = await suspendUsers(ctx, tenant.id, body.userIds);
  return { data: r.users.map(toUserView), suspended: r.suspended };
});
