import Link from 'next/link';
import { notFound } from 'next/navigation';
import { ConnectionLifecycle } from '@/components/connections/certificate-section';
import { ConnectionSettingsForm } from '@/components/connections/connection-settings-form';
import { ConnectionStatusBadge } from '@/components/connections/connection-status';
import { DeleteConnectionButton } from '@/components/connections/delete-connection-button';
import { IdpGuide } from '@/components/connections/guide';
import { StatusActions } from '@/components/connections/status-actions';
import { TestResultView } from '@/components/connections/test-result';
import { CeilingNotice } from '@/components/console-access/ceiling-notice';
import { PageHeader } from '@/components/layout/sidebar';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { requireTenant } from '@/lib/auth/guards';
import { holdsEverySection } from '@/lib/auth/permissions';
import { findConnectionById, toConnectionView } from '@/lib/dal/connections';
import { detectProvider, GUIDES, isProviderId, PROVIDERS, spValuesFrom } from '@/lib/sso/connections/guides';
import { sp } from '@/lib/sso/sp';
import { testVerdict } from '@/lib/validation/connections';
import * as lifecycle from './lifecycle-actions';
import { deleteConnectionFromPageAction, liftConnectionLimitAction, setConnectionStatusAction, updateConnectionSettingsAction } from '../actions';

const STATUS_TEXT = {
  draft: 'Draft: nobody can sign in through this connection yet. Test it, then activate it.',
  tested: 'Tested: the last test sign-in passed. Activate it to let people sign in.',
  active: 'Active: people sign in through this connection.',
} as const;

export default async function ConnectionPage({
  params,
  searchParams,
}: {
  params: Promise<{ slug: string; connectionId: string }>;
  searchParams: Promise<{ guide?: string }>;
}) {
  const { slug, connectionId } = await params;
  const { guide: guideParam } = await searchParams;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const row = await findConnectionById(connectionId);
  if (!row || row.tenantId !== tenant.id) notFound();
  const c = toConnectionView(row);
  const values = spValuesFrom({ ...sp(), oidcRedirectUrl: c.redirectUri ?? sp().oidcRedirectUrl });
  const provider = isProviderId(guideParam) ? guideParam : detectProvider(c.type, c.idp);
  const guide = GUIDES[provider];
  const label = c.name ?? c.idp.entityId ?? c.idp.issuer ?? c.type;
  const problems =
    c.lastTest && testVerdict(c.lastTest) === 'problems'
      ? (c.lastTest.checks ?? []).filter((x) => !x.ok).map((x) => `${x.name}: ${x.detail}.${x.fix ? ` ${x.fix}` : ''}`)
      : [];
  const statusText = c.status === 'tested' && problems.length ? 'Tested, with problems: the last test sign-in was accepted, but some people would be refused (see Last test).' : STATUS_TEXT[c.status];
  return (
    <>
      <PageHeader back={{ href: `/t/${slug}/connections`, label: 'Connections' }} title={label} description={`${c.type.toUpperCase()} connection`} />
      <div className="grid max-w-4xl gap-6">
        <CeilingNotice ceiling={row.scopeCeiling} of="connection" lift={holdsEverySection(principal) ? liftConnectionLimitAction.bind(null, slug, c.id) : undefined} />
        <Card>
          <CardHeader>
            <CardTitle className="flex items-center gap-2">
              Status <ConnectionStatusBadge status={c.status} />
            </CardTitle>
            <CardDescription>{statusText}</CardDescription>
          </CardHeader>
          <CardContent>
            <StatusActions
              testUrl={`/t/${slug}/connections/${c.id}/test`}
              status={c.status}
              setStatus={setConnectionStatusAction.bind(null, slug, c.id)}
              problems={problems}
            />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Last test</CardTitle>
            <CardDescription>
              A test runs the real sign-in at your identity provider, but signs nobody in to the portal and creates no user.
            </CardDescription>
          </CardHeader>
          <CardContent>
            <TestResultView result={c.lastTest} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Identity provider</CardTitle>
          </CardHeader>
          <CardContent>
            <dl aria-label="Identity provider" className="grid grid-cols-[9rem_1fr] gap-y-1 text-sm">
              {c.idp.entityId && (
                <>
                  <dt className="text-muted-foreground">Entity ID</dt>
                  <dd className="break-all font-mono text-xs">{c.idp.entityId}</dd>
                </>
              )}
              {c.idp.ssoUrl && (
                <>
                  <dt className="text-muted-foreground">SSO URL</dt>
                  <dd className="break-all font-mono text-xs">{c.idp.ssoUrl}</dd>
                </>
              )}
              {c.idp.issuer && (
                <>
                  <dt className="text-muted-foreground">Issuer</dt>
                  <dd className="break-all font-mono text-xs">{c.idp.issuer}</dd>
                </>
              )}
            </dl>
          </CardContent>
        </Card>
        <ConnectionLifecycle slug={slug} connection={row} actions={lifecycle} />
        <Card>
          <CardHeader>
            <CardTitle>Settings</CardTitle>
          </CardHeader>
          <CardContent>
            <ConnectionSettingsForm
              type={c.type}
              initial={{ name: c.name, allowIdpInitiated: c.allowIdpInitiated, requireMfa: c.requireMfa, trustUnverifiedEmail: c.trustUnverifiedEmail, requireEncryptedAssertions: c.requireEncryptedAssertions }}
              save={updateConnectionSettingsAction.bind(null, slug, c.id)}
            />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Set-up guide: {guide.name}</CardTitle>
            <CardDescription>
              Another provider:{' '}
              {PROVIDERS.filter((p) => GUIDES[p].protocol === c.type && p !== provider).map((p, i) => (
                <span key={p}>
                  {i > 0 && ' · '}
                  <Link className="underline" href={`/t/${slug}/connections/${c.id}?guide=${p}`}>
                    {GUIDES[p].name}
                  </Link>
                </span>
              ))}
            </CardDescription>
          </CardHeader>
          <CardContent>
            <IdpGuide guide={guide} values={values} />
          </CardContent>
        </Card>
        <div className="flex justify-end">
          <DeleteConnectionButton label={label} action={deleteConnectionFromPageAction.bind(null, slug, c.id)} then={`/t/${slug}/connections`} />
        </div>
      </div>
    </>
  );
}
