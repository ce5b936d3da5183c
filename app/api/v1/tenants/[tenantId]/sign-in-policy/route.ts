import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getSignInPolicy, putSignInPolicy } from '@/lib/policies/store';

export const GET = handle(api.getSignInPolicy, async ({ params }) => getSignInPolicy(params.tenantId));

// Operators are not bound by a tenant's console allowlist, so no lock-out check here.
export const PUT = handle(api.putSignInPolicy, async ({ params, body, ctx }) => putSignInPolicy(ctx, params.tenantId, body));
