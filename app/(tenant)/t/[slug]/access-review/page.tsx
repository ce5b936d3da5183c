import { ActivityChart, RolesChart } from '@/components/access-review/charts';
import { DaysForm } from '@/components/access-review/days-form';
import { NextSuspensions } from '@/components/access-review/next-suspensions';
import { ReviewFilters, type ReviewFilterValues } from '@/components/access-review/review-filters';
import { ReviewTable } from '@/components/access-review/review-table';
import { FilterErrors } from '@/components/audit/filter-errors';
import { PageHeader } from '@/components/layout/sidebar';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { Pager } from '@/components/ui/pager';
import { accessReviewStats, listAccessReview, nextToSuspend, resolveFilter, reviewSettings } from '@/lib/access-review/query';
import { accessReviewQuerySchema } from '@/lib/access-review/validation';
import { zodErrors } from '@/lib/api/endpoint';
import { requireTenant } from '@/lib/auth/guards';
import { bulkSuspendAction, inactivityPolicyAction } from './actions';

const FILTER_KEYS = ['filter', 'inactiveDays', 'role', 'status', 'source'] as const;

function qs(values: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export default async function AccessReviewPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'sso');
  const base = `/t/${tenant.slug}/access-review`;
  const sp = await searchParams;
  const values: ReviewFilterValues = {};
  for (const k of FILTER_KEYS) if (typeof sp[k] === 'string' && sp[k]) values[k] = sp[k] as string;
  const parsed = accessReviewQuerySchema.safeParse({ ...values, cursor: typeof sp.cursor === 'string' ? sp.cursor : undefined, limit: 50 });
  const settings = await reviewSettings(tenant.id);
  const now = new Date();
  const { limit, cursor, ...filter } = parsed.success ? parsed.data : { limit: 50, cursor: undefined };
  const resolved = parsed.success ? await resolveFilter(tenant.id, filter) : null;
  const [page, stats, next] = await Promise.all([
    resolved ? listAccessReview(tenant.id, { ...resolved, now }, { limit, cursor }).catch(() => null) : null,
    accessReviewStats(tenant.id, settings.dormantDays, settings.roles, now),
    settings.inactivityDays ? nextToSuspend(tenant.id, settings.inactivityDays, 5, now) : Promise.resolve([]),
  ]);
  const filtered = Object.keys(values).length > 0;

  return (
    <>
      <PageHeader
        title="Access review"
        description="Everyone with an account here: roles, where the account came from, and when they last signed in. Find accounts nobody uses and suspend them."
        actions={
          <Button asChild variant="outline" size="sm">
            <a href={`${base}/export${qs({ ...values, format: 'csv' })}`} download>
              Export CSV
            </a>
          </Button>
        }
      />
      <div className="mb-5 grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Activity</CardTitle>
            <CardDescription>Active vs dormant (no sign-in for {settings.dormantDays} days{settings.inactivityDays ? ', the inactivity policy' : ''}) vs suspended.</CardDescription>
          </CardHeader>
          <CardContent>
            <ActivityChart stats={stats} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Users per role</CardTitle>
            <CardDescription>Someone with several roles counts in each.</CardDescription>
          </CardHeader>
          <CardContent>
            <RolesChart stats={stats} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Inactivity policy</CardTitle>
            <CardDescription>
              Suspend users who have not signed in through SSO for this many days (never signed in: counted from when the account was created). Their sessions end and only an
              admin can reactivate them. Users managed by a SCIM directory are left to the directory.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <DaysForm
              id="inactivity-days"
              label="Suspend after days without sign-in"
              hint={settings.inactivityDays ? `On: ${settings.inactivityDays} days. Checked every 10 minutes.` : 'Off. Leave empty to keep it off.'}
              value={settings.inactivityDays}
              presets={[30, 60, 90]}
              allowOff
              submitLabel="Save policy"
              action={inactivityPolicyAction.bind(null, slug)}
            />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Next to be suspended</CardTitle>
            <CardDescription>Unless they sign in before then.</CardDescription>
          </CardHeader>
          <CardContent>
            <NextSuspensions items={next} days={settings.inactivityDays} now={now} />
          </CardContent>
        </Card>
      </div>
      <ReviewFilters values={values} roles={settings.roles} resetHref={base} defaultDays={settings.dormantDays} />
      {!parsed.success || !page ? (
        <FilterErrors errors={parsed.success ? [{ path: 'cursor', message: 'not a cursor returned by this list' }] : zodErrors(parsed.error)} />
      ) : page.data.length === 0 ? (
        <EmptyState>
          {filtered || cursor
            ? 'No user matches these filters.'
            : 'No users yet. They appear at their first SSO sign-in, when your directory pushes them, or when they register.'}
        </EmptyState>
      ) : (
        <ReviewTable items={page.data} suspend={bulkSuspendAction.bind(null, slug)} />
      )}
      {page && (
        <Pager firstHref={cursor ? `${base}${qs(values)}` : null} nextHref={page.nextCursor ? `${base}${qs({ ...values, cursor: page.nextCursor })}` : null} />
      )}
    </>
  );
}
