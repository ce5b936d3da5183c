import { handle } from '@/lib/api/endpoint';
import { api } from '@/lib/api/endpoints';
import { reviewExportResponse, startReviewExport } from '@/lib/access-review/export';
import { getTenant } from '@/lib/dal/tenants';

export const GET = handle(api.exportAccessReview, async ({ params, query, ctx }) => {
  const tenant = await getTenant(params.tenantId);
  const { format: _format, ...filter } = query;
  return reviewExportResponse(await startReviewExport(ctx, tenant, filter, { via: 'api' }));
});
