import { zodErrors } from '@/lib/api/endpoint';
import { problem } from '@/lib/api/problem';
import { reviewExportResponse, startReviewExport } from '@/lib/access-review/export';
import { accessReviewExportQuerySchema } from '@/lib/access-review/validation';
import { requireTenant } from '@/lib/auth/guards';
import { actorOf } from '@/lib/auth/permissions';
import { requestMeta } from '@/lib/http/request-meta';
import { log } from '@/lib/log';

/** The console's CSV download of the access review (same filters as the page), by console session. */
export async function GET(req: Request, { params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const parsed = accessReviewExportQuerySchema.safeParse(Object.fromEntries(new URL(req.url).searchParams));
  if (!parsed.success) {
    const errors = zodErrors(parsed.error);
    return problem(400, `Invalid query parameters: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { code: 'invalid_input', errors });
  }
  const { format: _format, ...filter } = parsed.data;
  try {
    const ctx = { ...requestMeta(req), actor: actorOf(principal) };
    return reviewExportResponse(await startReviewExport(ctx, tenant, filter, { via: 'console' }));
  } catch (err) {
    log('error', 'console access review export failed', { tenantId: tenant.id, err });
    return problem(500, 'The export could not be started', { code: 'internal' });
  }
}
