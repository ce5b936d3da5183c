import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { revokePortalLink } from '@/lib/dal/portal-links';

export const DELETE = handle(api.deletePortalLink, async ({ params, ctx }) => revokePortalLink(ctx, params.tenantId, params.linkId));
