import Link from 'next/link';
import { ApplicationForm } from '@/components/applications/application-form';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { listApplications } from '@/lib/applications/registry';
import { requireOperator } from '@/lib/auth/guards';
import { listTenants } from '@/lib/dal/tenants';
import { env } from '@/lib/env';
import { createApplicationAction } from './actions';

export default async function ApplicationsPage() {
  await requireOperator();
  const [{ data: apps }, { data: tenants }] = await Promise.all([listApplications({ limit: 200 }), listTenants({ limit: 200 })]);
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
