import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteDirectory, getDirectoryView } from '@/lib/dal/directories';

export const GET = handle(api.getDirectory, async ({ params }) => getDirectoryView(params.tenantId, params.directoryId));

export const DELETE = handle(api.deleteDirectory, async ({ params, ctx }) => deleteDirectory(ctx, params.tenantId, params.directoryId));
