import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { refreshMetadata } from '@/lib/sso/saml/metadata-refresh';

export const POST = handle(api.refreshConnectionMetadata, async ({ params, ctx }) => refreshMetadata(ctx, params.tenantId, params.connectionId));
