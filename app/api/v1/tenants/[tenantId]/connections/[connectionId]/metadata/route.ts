import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getMetadataStatus } from '@/lib/sso/saml/metadata-refresh';

export const GET = handle(api.getConnectionMetadata, async ({ params }) => getMetadataStatus(params.tenantId, params.connectionId));
