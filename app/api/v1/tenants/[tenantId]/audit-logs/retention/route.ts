import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { getAuditRetention, setAuditRetention } from '@/lib/audit/retention';

export const GET = handle(api.getAuditRetention, async ({ params }) => getAuditRetention(params.tenantId));

export const PUT = handle(api.putAuditRetention, async ({ params, body, ctx }) => setAuditRetention(ctx, params.tenantId, body));
