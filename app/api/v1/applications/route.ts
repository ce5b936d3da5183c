import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createApplication, listApplications } from '@/lib/applications/registry';

export const POST = handle(api.createApplication, async ({ body, ctx }) => createApplication(ctx, body));

export const GET = handle(api.listApplications, async ({ query }) => listApplications(query));
