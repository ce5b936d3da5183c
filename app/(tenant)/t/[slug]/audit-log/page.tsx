import { Suspense } from 'react';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable } from '@/components/audit/audit-table';
import { ChainBadge, ChainBadgePending } from '@/components/audit/chain-badge';
import { auditPageQuery, qs, type SearchParams } from '@/components/audit/page-query';
import { SignInChart } from '@/components/audit/sign-in-chart';
import { PageHeader } from '@/components/layout/sidebar';
import { Button } from '@/components/ui/button';
import { EmptyState } from '@/components/ui/empty-state';
import { Pager } from '@/components/ui/pager';
import { FilterErrors } from '@/components/audit/filter-errors';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { listAuditEvents, signInsPerDay, toAuditView } from '@/lib/audit/query';
import { getAuditRetention } from '@/lib/audit/retention';
import { DaysForm } from '@/components/access-review/days-form';
import { auditRetentionAction } from './actions';
import { requireTenant } from '@/lib/auth/guards';

export default async function AuditLogPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<SearchParams> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'audit_log');
  const base = `/t/${tenant.slug}/audit-log`;
  const pq = auditPageQuery(await searchParams);
  const page = pq.ok ? await listAuditEvents({ tenantId: tenant.id }, pq.query) : null;
  const filters = pq.ok ? pq.filters : {};
  const filtered = Object.keys(filters).length > 0;
  const retention = await getAuditRetention(tenant.id);

  return (
    <>
      <PageHeader
        title="Audit log"
        description={
          <span className="inline-flex flex-wrap items-center gap-2">
            Everything that happened in {tenant.name}, newest first.
            <Suspense fallback={<ChainBadgePending />}>
              <ChainBadge chainKey={tenant.id} />
            </Suspense>
          </span>
        }
        actions={
          <>
            <Button asChild variant="outline" size="sm">
              <a href={`${base}/export${qs({ ...filters, format: 'csv' })}`} download>
                Export CSV
              </a>
            </Button>
            <Button asChild variant="outline" size="sm">
              <a href={`${base}/export${qs({ ...filters, format: 'ndjson' })}`} download>
                Export NDJSON
              </a>
            </Button>
          </>
        }
      />
      <Card className="mb-5 max-w-3xl">
        <CardHeader>
          <CardTitle>Sign-ins, last 14 days</CardTitle>
          <CardDescription>Successful and failed SSO sign-ins per day.</CardDescription>
        </CardHeader>
        <CardContent>
          <Suspense fallback={<p className="text-sm text-muted-foreground">Loading…</p>}>
            <Chart tenantId={tenant.id} />
          </Suspense>
        </CardContent>
      </Card>
      <Card className="mb-5 max-w-3xl">
        <CardHeader>
          <CardTitle>Retention</CardTitle>
          <CardDescription>
            Events older than this are deleted every hour, oldest first. The hash chain stays verifiable: each deletion is itself recorded (audit.pruned) with the point the
            kept events start from.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <DaysForm
            id="retention-days"
            label="Keep audit events for (days)"
            hint={`Now: ${retention.days} days. From 1 to 3650.`}
            value={retention.days}
            presets={[90, 365, 730]}
            submitLabel="Save retention"
            action={auditRetentionAction.bind(null, slug)}
          />
        </CardContent>
      </Card>
      <AuditFilters values={pq.values} resetHref={base} />
      {!pq.ok ? (
        <FilterErrors errors={pq.errors} />
      ) : page!.data.length === 0 ? (
        <EmptyState>{filtered || pq.query.cursor ? 'No event matches these filters.' : 'No events yet.'}</EmptyState>
      ) : (
        <AuditTable events={page!.data.map(toAuditView)} />
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

async function Chart({ tenantId }: { tenantId: string }) {
  return <SignInChart days={await signInsPerDay(tenantId, 14)} />;
}
