import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getUser, toUserView } from '@/lib/dal/users';

export const GET = handle(api.getUser, async ({ params }) => toUserView(await getUser(params.tenantId, params.userId)));
