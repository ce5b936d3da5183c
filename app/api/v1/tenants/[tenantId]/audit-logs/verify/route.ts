import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { verifyTenantChain } from '@/lib/audit/verify';
import { auditLogTenant } from '@/lib/dal/tenants';

export const GET = handle(api.verifyAuditLogs, async ({ params }) => {
  const tenant = await auditLogTenant(params.tenantId);
  return verifyTenantChain(tenant.id);
});
