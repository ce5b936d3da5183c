import Link from 'next/link';
import { ApplicationForm } from '@/components/applications/application-form';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { EmptyState } from '@/components/ui/empty-state';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { listSigningKeys } from '@/lib/applications/keys';
import { listApplications } from '@/lib/applications/registry';
import { requireOperator } from '@/lib/auth/guards';
import { listTenants } from '@/lib/dal/tenants';
import { env } from '@/lib/env';
import { utcMinute } from '@/lib/utils';
import { createApplicationAction, rotateSigningKeysAction } from './actions';

const KEY_STATE = { current: { label: 'signing', tone: 'good' }, next: { label: 'published ahead', tone: 'neutral' }, retired: { label: 'retired', tone: 'warn' } } as const;

export default async function ApplicationsPage() {
  await requireOperator();
  const [{ data: apps }, { data: tenants }, { data: keys }] = await Promise.all([listApplications({ limit: 200 }), listTenants({ limit: 200 }), listSigningKeys()]);
  return (
    <>
      <PageHeader
        title="Applications"
        description={
          <>
            Your products sign their users in through the portal with OpenID Connect (issuer <code>{env().PUBLIC_URL}</code>,
            discovery at <code>/.well-known/openid-configuration</code>) and receive the user, their organisation and roles.
          </>
        }
      />
      <div className="grid max-w-4xl gap-6">
        {apps.length === 0 ? (
          <EmptyState>No applications yet. Register your product below, then configure its OIDC client with the client ID and secret.</EmptyState>
        ) : (
          <Table aria-label="Applications">
            <THead>
              <Tr>
                <Th>Name</Th>
                <Th>Client ID</Th>
                <Th>Type</Th>
                <Th>Organisations</Th>
              </Tr>
            </THead>
            <TBody>
              {apps.map((a) => (
                <Tr key={a.id}>
                  <Td className="font-medium">
                    <Link className="underline" href={`/applications/${a.id}`}>
                      {a.name}
                    </Link>
                  </Td>
                  <Td className="font-mono text-xs">{a.clientId}</Td>
                  <Td>
                    <Badge tone="neutral">{a.type}</Badge>
                  </Td>
                  <Td>{a.tenantIds ? `${a.tenantIds.length} selected` : 'all'}</Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
        <Card>
          <CardHeader>
            <CardTitle>Signing keys</CardTitle>
            <CardDescription>
              ID tokens are signed with RS256 by the key marked signing. Its successor is published ahead in the JWKS, and a retired key stays
              published until the tokens it signed have expired. Keys rotate every 90 days; rotate now if a key may be exposed.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4">
            <div className="overflow-x-auto">
              <Table aria-label="Signing keys">
                <THead>
                  <Tr>
                    <Th>Key ID</Th>
                    <Th>State</Th>
                    <Th>Created</Th>
                    <Th>Published until</Th>
                  </Tr>
                </THead>
                <TBody>
                  {keys.map((k) => (
                    <Tr key={k.kid}>
                      <Td className="break-all font-mono text-xs">{k.kid}</Td>
                      <Td>
                        <Badge tone={KEY_STATE[k.state].tone}>{KEY_STATE[k.state].label}</Badge>
                      </Td>
                      <Td>{utcMinute(k.createdAt)}</Td>
                      <Td>{k.publishedUntil ? utcMinute(k.publishedUntil) : '—'}</Td>
                    </Tr>
                  ))}
                </TBody>
              </Table>
            </div>
            <div>
              <ConfirmButton
                variant="outline"
                title="Rotate the signing keys?"
                description="The key published ahead signs from now on, and a new one is published ahead. The key it replaces stays published until the tokens it signed have expired (about 15 minutes), then is withdrawn."
                confirmLabel="Rotate keys"
                done="Signing keys rotated."
                onConfirm={rotateSigningKeysAction}
              >
                Rotate signing keys…
              </ConfirmButton>
            </div>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Register an application</CardTitle>
          </CardHeader>
          <CardContent>
            <ApplicationForm tenants={tenants.map((t) => ({ id: t.id, name: t.name, slug: t.slug }))} action={createApplicationAction} submitLabel="Register application" />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
