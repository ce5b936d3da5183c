import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listDirectoryUsers } from '@/lib/dal/directories';

export const GET = handle(api.listDirectoryUsers, async ({ params, query }) => listDirectoryUsers(params.tenantId, params.directoryId, query));
