import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createTestLink } from '@/lib/sso/connection-test';

/** A single-use, short-lived link that starts a test sign-in (lib/sso/connection-test.ts says why). */
export const POST = handle(api.testConnection, async ({ params, ctx }) => createTestLink(ctx, params.tenantId, params.connectionId));
