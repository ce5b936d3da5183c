import Link from 'next/link';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireOperator } from '@/lib/auth/guards';
import { CERT_WARNING_DAYS, operatorDashboard, type Attention } from '@/lib/dal/dashboard';
import { plural, utcMinute } from '@/lib/utils';

const link = 'underline decoration-zinc-300 underline-offset-2 hover:decoration-zinc-900';

function AttentionItem({ a }: { a: Attention }) {
  const where = a.tenant ? (
    <Link className={link} href={`/tenants/${a.tenant.id}`}>
      {a.tenant.name}
    </Link>
  ) : (
    'Operator-wide'
  );
  switch (a.kind) {
    case 'failing_connection':
      return (
        <>
          <Badge tone="bad">failing</Badge> {where}: <Link className={link} href={`/t/${a.tenant.slug}/connections/${a.connectionId}`}>{a.label}</Link> —{' '}
          {plural(a.failures, 'failed sign-in')} and {plural(a.successes, 'successful one')} in the last 24 hours.
        </>
      );
    case 'failed_test':
      return (
        <>
          <Badge tone="bad">test failed</Badge> {where}: the last test of{' '}
          <Link className={link} href={`/t/${a.tenant.slug}/connections/${a.connectionId}`}>{a.label}</Link> failed.
        </>
      );
    case 'certificate_expiring':
      return (
        <>
          <Badge tone={a.expired ? 'bad' : 'warn'}>{a.expired ? 'certificate expired' : 'certificate expiring'}</Badge> {where}: the IdP signing certificate of{' '}
          <Link className={link} href={`/t/${a.tenant.slug}/connections/${a.connectionId}`}>{a.label}</Link> {a.expired ? 'expired' : 'expires'} {utcMinute(a.notAfter)}.
        </>
      );
    case 'webhook_failing':
      return (
        <>
          <Badge tone="bad">{a.enabled ? 'webhook failing' : 'webhook disabled'}</Badge> {where}:{' '}
          <Link className={link} href={a.tenant ? `/t/${a.tenant.slug}/webhooks/${a.webhookId}` : `/webhooks/${a.webhookId}`}>
            <span className="break-all">{a.url}</span>
          </Link>{' '}
          — {plural(a.failures, 'failed attempt')}
          {a.lastError ? `: ${a.lastError.slice(0, 120)}` : ''}.
        </>
      );
  }
}

/** The operator's view across tenants: what needs attention first, then each tenant's sign-ins. */
export default async function DashboardPage() {
  await requireOperator();
  const d = await operatorDashboard();
  return (
    <>
      <PageHeader title="Dashboard" description="Sign-ins of the last 24 hours across tenants, and what needs attention." />
      <div className="grid max-w-5xl gap-6">
        <div className="grid gap-4 sm:grid-cols-3">
          <Card>
            <CardHeader>
              <CardTitle>Tenants</CardTitle>
            </CardHeader>
            <CardContent className="text-2xl font-semibold" data-testid="total-tenants">
              {d.totals.tenants}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Sign-ins, 24 h</CardTitle>
            </CardHeader>
            <CardContent className="text-2xl font-semibold" data-testid="total-sign-ins">
              {d.totals.signIns24h}
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>Failed sign-ins, 24 h</CardTitle>
            </CardHeader>
            <CardContent className="text-2xl font-semibold" data-testid="total-failures">
              {d.totals.failures24h}
            </CardContent>
          </Card>
        </div>
        <Card>
          <CardHeader>
            <CardTitle>Needs attention</CardTitle>
          </CardHeader>
          <CardContent>
            {d.attention.length === 0 ? (
              <p className="text-sm text-muted-foreground">
                Nothing: no failing connection or webhook, no failed connection test, no IdP certificate expiring within {CERT_WARNING_DAYS} days.
              </p>
            ) : (
              <ul aria-label="Needs attention" className="grid gap-2 text-sm">
                {d.attention.map((a, i) => (
                  <li key={i}>
                    <AttentionItem a={a} />
                  </li>
                ))}
              </ul>
            )}
          </CardContent>
        </Card>
        {d.tenants.length === 0 ? (
          <EmptyState>No tenants yet.</EmptyState>
        ) : (
          <div className="overflow-x-auto">
            <Table aria-label="Tenants by sign-ins">
              <THead>
                <Tr>
                  <Th>Tenant</Th>
                  <Th>Active connections</Th>
                  <Th>Directories</Th>
                  <Th>Sign-ins, 24 h</Th>
                  <Th>Failed, 24 h</Th>
                </Tr>
              </THead>
              <TBody>
                {d.tenants.map((t) => (
                  <Tr key={t.id}>
                    <Td>
                      <Link className={`font-medium ${link}`} href={`/tenants/${t.id}`}>
                        {t.name}
                      </Link>
                    </Td>
                    <Td>{t.activeConnections === 0 ? <Badge tone="warn">none</Badge> : t.activeConnections}</Td>
                    <Td>{t.directories}</Td>
                    <Td>{t.signIns24h}</Td>
                    <Td>{t.failures24h > 0 ? <Badge tone={t.failures24h > t.signIns24h ? 'bad' : 'warn'}>{t.failures24h}</Badge> : 0}</Td>
                  </Tr>
                ))}
              </TBody>
            </Table>
          </div>
        )}
      </div>
    </>
  );
}
