import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listRequests } from '@/lib/dal/directories';

export const GET = handle(api.listDirectoryRequests, async ({ params, query }) => listRequests(params.tenantId, params.directoryId, query));
