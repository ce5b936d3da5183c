import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createTestLink } from '@/lib/sso/connections/test-sign-in';

/** A single-use, short-lived link that starts a test sign-in (lib/sso/connections/test-sign-in.ts says why). */
export const POST = handle(api.testConnection, async ({ params, ctx }) => createTestLink(ctx, params.tenantId, params.connectionId));
