import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { approveMetadata } from '@/lib/sso/saml/metadata-refresh';

export const POST = handle(api.approveConnectionMetadata, async ({ params, ctx }) => approveMetadata(ctx, params.tenantId, params.connectionId));
