import { Suspense } from 'react';
import { AuditFilters } from '@/components/audit/audit-filters';
import { AuditTable } from '@/components/audit/audit-table';
import { ChainBadge, ChainBadgePending } from '@/components/audit/chain-badge';
import { auditPageQuery, qs, type SearchParams } from '@/components/audit/page-query';
import { SignInChart } from '@/components/audit/sign-in-chart';
import { PageHeader } from '@/components/layout/sidebar';
import { Button } from '@/components/ui/button';
import { Pager } from '@/components/ui/pager';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { listAuditEvents, signInsPerDay, toAuditView } from '@/lib/audit/query';
import { requireTenant } from '@/lib/auth/guards';

export default async function AuditLogPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<SearchParams> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'audit_log');
  const base = `/t/${tenant.slug}/audit-log`;
  const pq = auditPageQuery(await searchParams);
  const page = pq.ok ? await listAuditEvents({ tenantId: tenant.id }, pq.query) : null;
  const filters = pq.ok ? pq.filters : {};
  const filtered = Object.keys(filters).length > 0;

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
      <AuditFilters values={pq.values} resetHref={base} />
      {!pq.ok ? (
        <div role="alert" className="rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-800">
          <p className="font-medium">These filters cannot be used:</p>
          <ul className="mt-1 list-disc pl-5">
            {pq.errors.map((e) => (
              <li key={e.path}>
                {e.path}: {e.message}
              </li>
            ))}
          </ul>
        </div>
      ) : page!.data.length === 0 ? (
        <p className="rounded-lg border border-dashed border-border p-8 text-center text-sm text-muted-foreground">
          {filtered || pq.query.cursor ? 'No event matches these filters.' : 'No events yet.'}
        </p>
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
