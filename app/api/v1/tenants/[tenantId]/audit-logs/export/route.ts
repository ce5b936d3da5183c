import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { exportResponse, startAuditExport } from '@/lib/audit/export';
import { auditLogTenant } from '@/lib/dal/tenants';

export const GET = handle(api.exportAuditLogs, async ({ params, query, ctx }) => {
  const tenant = await auditLogTenant(params.tenantId);
  const { format, ...filter } = query;
  return exportResponse(await startAuditExport(ctx, tenant, filter, format, { via: 'api' }));
});
