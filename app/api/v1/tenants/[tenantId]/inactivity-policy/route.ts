import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getInactivityPolicy, setInactivityPolicy } from '@/lib/access-review/inactivity';

export const GET = handle(api.getInactivityPolicy, async ({ params }) => getInactivityPolicy(params.tenantId));

export const PUT = handle(api.putInactivityPolicy, async ({ params, body, ctx }) => setInactivityPolicy(ctx, params.tenantId, body));
