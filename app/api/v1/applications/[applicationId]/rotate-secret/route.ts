import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { rotateApplicationSecret } from '@/lib/applications/registry';

export const POST = handle(api.rotateApplicationSecret, async ({ params, ctx }) => rotateApplicationSecret(ctx, params.applicationId));
