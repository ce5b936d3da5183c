import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { reactivateUser, toUserView } from '@/lib/dal/users';

export const POST = handle(api.reactivateUser, async ({ params, ctx }) =>
  toUserView(await reactivateUser(ctx, params.tenantId, params.userId)),
);
