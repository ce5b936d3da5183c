import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createWebhook, listWebhooks } from '@/lib/dal/webhooks';

/** Operator-wide endpoints: events of every tenant and of the operator. */
export const POST = handle(api.createWebhook, async ({ body, ctx }) => createWebhook(ctx, { tenantId: null }, body));

export const GET = handle(api.listWebhooks, async ({ query }) => listWebhooks({ tenantId: null }, query));
