import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { listAuditEvents, toAuditView } from '@/lib/audit/query';
import { auditLogTenant } from '@/lib/dal/tenants';

export const GET = handle(api.listAuditLogs, async ({ params, query }) => {
  const tenant = await auditLogTenant(params.tenantId);
  const page = await listAuditEvents({ tenantId: tenant.id }, query);
  return { data: page.data.map(toAuditView), nextCursor: page.nextCursor };
});
