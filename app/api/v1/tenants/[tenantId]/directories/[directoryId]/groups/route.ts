import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listDirectoryGroups } from '@/lib/dal/directories';

export const GET = handle(api.listDirectoryGroups, async ({ params, query }) => listDirectoryGroups(params.tenantId, params.directoryId, query));
