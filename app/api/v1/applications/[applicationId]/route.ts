import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { deleteApplication, getApplication, toApplicationView, updateApplication } from '@/lib/applications/registry';

export const GET = handle(api.getApplication, async ({ params }) => toApplicationView(await getApplication(params.applicationId)));

export const PATCH = handle(api.updateApplication, async ({ params, body, ctx }) => updateApplication(ctx, params.applicationId, body));

export const DELETE = handle(api.deleteApplication, async ({ params, ctx }) => deleteApplication(ctx, params.applicationId));
