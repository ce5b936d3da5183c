import { notFound } from 'next/navigation';
import { ApplicationForm } from '@/components/applications/application-form';
import { RotateSecretButton } from '@/components/applications/rotate-secret-button';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { EmptyState } from '@/components/ui/empty-state';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { deliveriesOf } from '@/lib/applications/backchannel';
import { getApplication } from '@/lib/applications/registry';
import { requireOperator } from '@/lib/auth/guards';
import { listTenants } from '@/lib/dal/tenants';
import { deleteApplicationAction, rotateApplicationSecretAction, updateApplicationAction } from '../actions';

const fmt = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 19) : '—');

export default async function ApplicationPage({ params }: { params: Promise<{ applicationId: string }> }) {
  await requireOperator();
  const { applicationId } = await params;
  const app = await getApplication(applicationId).catch(() => null);
  if (!app) notFound();
  const [{ data: tenants }, deliveries] = await Promise.all([listTenants({ limit: 200 }), deliveriesOf(app.id)]);
  return (
    <>
      <PageHeader
        back={{ href: '/applications', label: 'Applications' }}
        title={app.name} description={<>Client ID <code className="font-mono">{app.clientId}</code> · {app.type}</>} />
      <div className="grid max-w-4xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>Settings</CardTitle>
          </CardHeader>
          <CardContent>
            <ApplicationForm
              initial={{
                name: app.name,
                type: app.type,
                redirectUris: app.redirectUris,
                postLogoutRedirectUris: app.postLogoutRedirectUris,
                backchannelLogoutUri: app.backchannelLogoutUri,
                initiateLoginUri: app.initiateLoginUri,
                tenantIds: app.tenantIds,
              }}
              tenants={tenants.map((t) => ({ id: t.id, name: t.name, slug: t.slug }))}
              action={updateApplicationAction.bind(null, app.id)}
              submitLabel="Save application"
            />
          </CardContent>
        </Card>
        {app.type === 'confidential' && (
          <Card>
            <CardHeader>
              <CardTitle>Client secret</CardTitle>
            </CardHeader>
            <CardContent>
              <RotateSecretButton action={rotateApplicationSecretAction.bind(null, app.id)} />
            </CardContent>
          </Card>
        )}
        <Card>
          <CardHeader>
            <CardTitle>Back-channel logouts</CardTitle>
          </CardHeader>
          <CardContent>
            {!app.backchannelLogoutUri ? (
              <EmptyState>No back-channel logout URI: set one above so that the application learns when a user’s session ends.</EmptyState>
            ) : deliveries.length === 0 ? (
              <EmptyState>No logout tokens sent yet: one is sent when a session that signed in here ends.</EmptyState>
            ) : (
              <Table aria-label="Back-channel logout deliveries">
                <THead>
                  <Tr>
                    <Th>When</Th>
                    <Th>User</Th>
                    <Th>Status</Th>
                    <Th>Attempts</Th>
                    <Th>Last error</Th>
                  </Tr>
                </THead>
                <TBody>
                  {deliveries.map((d) => (
                    <Tr key={d.id}>
                      <Td>{fmt(d.createdAt)}</Td>
                      <Td className="font-mono text-xs">{d.accountId}</Td>
                      <Td>
                        <Badge tone={d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : 'warn'}>{d.status}</Badge>
                      </Td>
                      <Td>{d.attempts}</Td>
                      <Td className="max-w-xs truncate text-xs">{d.lastError ?? '—'}</Td>
                    </Tr>
                  ))}
                </TBody>
              </Table>
            )}
          </CardContent>
        </Card>
        <div>
          <ConfirmButton
            title={`Delete ${app.name}?`}
            description="Its client ID stops working and every token it holds is revoked at once."
            confirmLabel="Delete application" done="Application deleted."
            then="/applications"
            onConfirm={deleteApplicationAction.bind(null, app.id)}
          >
            Delete application…
          </ConfirmButton>
        </div>
      </div>
    </>
  );
}
