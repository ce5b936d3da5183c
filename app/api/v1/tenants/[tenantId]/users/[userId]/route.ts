import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteUser, getUser, toUserView } from '@/lib/dal/users';

export const GET = handle(api.getUser, async ({ params }) => toUserView(await getUser(params.tenantId, params.userId)));

export const DELETE = handle(api.deleteUser, async ({ params, ctx }) => deleteUser(ctx, params.tenantId, params.userId));
