import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { revokeDirectoryToken, rotateDirectoryToken } from '@/lib/dal/directories';

export const POST = handle(api.rotateDirectoryToken, async ({ params, ctx }) => rotateDirectoryToken(ctx, params.tenantId, params.directoryId));

export const DELETE = handle(api.revokeDirectoryToken, async ({ params, ctx }) => revokeDirectoryToken(ctx, params.tenantId, params.directoryId));
