import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { createPortalLink } from '@/lib/dal/portal-links';

export const POST = handle(api.createPortalLink, async ({ params, body, ctx }) => createPortalLink(ctx, params.tenantId, body));
