import { Suspense } from 'react';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable } from '@/components/audit/audit-table';
import { ChainBadge, ChainBadgePending } from '@/components/audit/chain-badge';
import { auditPageQuery, qs, type SearchParams } from '@/components/audit/page-query';
import { PageHeader } from '@/components/layout/sidebar';
import { EmptyState } from '@/components/ui/empty-state';
import { Pager } from '@/components/ui/pager';
import { FilterErrors } from '@/components/audit/filter-errors';
import { listAuditEvents, tenantRefs, toAuditView } from '@/lib/audit/query';
import { OPERATOR_CHAIN } from '@/lib/audit/record';
import { requireOperator } from '@/lib/auth/guards';

/** Every audit event of the portal (all tenants, deleted ones included, and operator-wide events). */
export default async function OperatorAuditLogPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  await requireOperator();
  const base = '/audit-log';
  const pq = auditPageQuery(await searchParams);
  const tenantId = pq.tenantId?.trim() || undefined;
  const page = pq.ok ? await listAuditEvents({ allTenants: true, tenantId }, pq.query) : null;
  const names = page ? await tenantRefs(page.data.map((r) => r.tenantId)) : {};
  const filters = { ...(pq.ok ? pq.filters : {}), ...(tenantId ? { tenantId } : {}) };

  return (
    <>
      <PageHeader
        title="Audit log"
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            Events of every tenant and of the operator console, newest first.
            <Suspense fallback={<ChainBadgePending />}>
              <ChainBadge chainKey={OPERATOR_CHAIN} label="Operator chain" />
            </Suspense>
          </span>
        }
      />
      <AuditFilters values={{ ...pq.values, tenantId }} resetHref={base} withTenant />
      {!pq.ok ? (
        <FilterErrors errors={pq.errors} />
      ) : page!.data.length === 0 ? (
        <EmptyState>No event matches these filters.</EmptyState>
      ) : (
        <AuditTable events={page!.data.map(toAuditView)} tenants={names} />
      )}
      {pq.ok && (
        <Pager
          firstHref={pq.query.cursor ? `${base}${qs(filters)}` : null}
          nextHref={page?.nextCursor ? `${base}${qs({ ...filters, cursor: page.nextCursor })}` : null}
        />
      )}
    </>
  );
}
