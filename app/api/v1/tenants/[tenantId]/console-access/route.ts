import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getConsoleAccess, putConsoleAccess } from '@/lib/dal/console-access';

export const GET = handle(api.getConsoleAccess, async ({ params }) => getConsoleAccess(params.tenantId));

export const PUT = handle(api.putConsoleAccess, async ({ params, body, ctx }) => putConsoleAccess(ctx, params.tenantId, body));
