import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { suspendUser, toUserView } from '@/lib/dal/users';

export const POST = handle(api.suspendUser, async ({ params, ctx }) => toUserView(await suspendUser(ctx, params.tenantId, params.userId)));
