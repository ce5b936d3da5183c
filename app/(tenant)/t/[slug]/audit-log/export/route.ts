import { zodErrors } from '@/lib/api/endpoint';
import { problem } from '@/lib/api/problem';
import { exportResponse, startAuditExport } from '@/lib/audit/export';
import { requireTenant } from '@/lib/auth/guards';
import { actorOf } from '@/lib/auth/permissions';
import { requestMeta } from '@/lib/http/request-meta';
import { log } from '@/lib/log';
import { auditExportQuerySchema } from '@/lib/validation/audit';

/**
 * The console's export download: the same stream as the API's export, authorised by the console
 * session (an operator, or a tenant admin with the audit_log scope) instead of an API key.
 */
export async function GET(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { principal, tenant } = await requireTenant(slug, 'audit_log');
  const parsed = auditExportQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!parsed.success) {
    const errors = zodErrors(parsed.error);
    return problem(400, `Invalid query parameters: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { code: 'invalid_input', errors });
  }
  const { format, ...filter } = parsed.data;
  try {
    const ctx = { ...requestMeta(req), actor: actorOf(principal) };
    return exportResponse(await startAuditExport(ctx, tenant, filter, format, { via: 'console' }));
  } catch (err) {
    log('error', 'console audit export failed', { tenantId: tenant.id, err });
    return problem(500, 'The export could not be started', { code: 'internal' });
  }
}
