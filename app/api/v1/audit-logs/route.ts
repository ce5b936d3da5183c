import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listAuditEvents, toAuditView } from '@/lib/audit/query';

/** The operator's audit log: what the operator console's audit page shows. */
export const GET = handle(api.listOperatorAuditLogs, async ({ query }) => {
  const { tenantId, ...filters } = query;
  const page = await listAuditEvents({ allTenants: true, tenantId }, filters);
  return { data: page.data.map(toAuditView), nextCursor: page.nextCursor };
});
