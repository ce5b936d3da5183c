import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { rejectMetadata } from '@/lib/sso/saml/metadata-refresh';

export const POST = handle(api.rejectConnectionMetadata, async ({ params, ctx }) => rejectMetadata(ctx, params.tenantId, params.connectionId));
