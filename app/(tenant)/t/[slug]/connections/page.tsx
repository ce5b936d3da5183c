import { CertificateStatusList } from '@/components/connections/certificate-status';
import { CopyValue } from '@/components/connections/copy-value';
import { DeleteConnectionButton } from '@/components/connections/delete-connection-button';
import { ConnectionStatusBadge } from '@/components/connections/connection-status';
import Link from 'next/link';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireTenant } from '@/lib/auth/guards';
import { actorOf } from '@/lib/auth/permissions';
import { listConnections, redirectUriFor } from '@/lib/dal/connections';
import { sp } from '@/lib/sso/sp';
import { deleteConnectionAction } from '../actions';

export default async function ConnectionsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant, principal } = await requireTenant(slug, 'sso');
  const { data: connections } = await listConnections(tenant.id);
  const s = sp();
  // The URI a connection made here gets (each connection's own is on its page).
  const redirectUri = redirectUriFor({ actor: actorOf(principal) }, tenant.id);
  return (
    <>
      <PageHeader
        title="Connections"
        description="Single sign-on through your identity provider (SAML 2.0 or OpenID Connect)."
        actions={
          <Link href={`/t/${slug}/connections/new`} className="inline-flex h-9 items-center rounded-md bg-primary px-4 text-sm font-medium text-primary-foreground">
            New connection
          </Link>
        }
      />
      <div className="grid max-w-4xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>Values for your identity provider</CardTitle>
            <CardDescription>
              Create a SAML application in your IdP with these values (the entity ID is also the SP metadata URL). Send the email
              address as the NameID or an “email” attribute, names as firstName/lastName and groups as “groups”. For OpenID
              Connect, register the redirect URI; the portal asks for the openid and email scopes. “New connection” has a step-by-step
              guide for Okta, Entra ID, Google Workspace, OneLogin, JumpCloud, ADFS and Ping.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            <CopyValue label="ACS URL (Reply URL)" value={s.acsUrl} />
            <CopyValue label="SP entity ID (Audience)" value={s.entityId} />
            <CopyValue label="OIDC redirect URI" value={redirectUri} />
          </CardContent>
        </Card>
        {connections.length === 0 ? (
          <EmptyState>
            No connection yet. <Link className="underline" href={`/t/${slug}/connections/new`}>Add one</Link> with the guide for your identity
            provider.
          </EmptyState>
        ) : (
          <Table aria-label="Connections">
            <THead>
              <Tr>
                <Th>Type</Th>
                <Th>Status</Th>
                <Th>Identity provider</Th>
                <Th>Certificates</Th>
                <Th>IdP-initiated</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </Tr>
            </THead>
            <TBody>
              {connections.map((c) => {
                const label = c.idp.entityId ?? c.idp.issuer ?? c.type;
                return (
                  <Tr key={c.id}>
                    <Td>
                      <Badge>{c.type.toUpperCase()}</Badge>
                    </Td>
                    <Td>
                      <ConnectionStatusBadge status={c.status} />
                    </Td>
                    <Td className="max-w-xs break-all text-xs">
                      <Link className="underline" href={`/t/${slug}/connections/${c.id}`}>
                        {c.name ?? label}
                      </Link>
                      {c.name && <div className="font-mono text-muted-foreground">{label}</div>}
                    </Td>
                    <Td className="text-xs">
                      <CertificateStatusList certificates={c.idp.certificates} />
                    </Td>
                    <Td>{c.allowIdpInitiated ? 'allowed' : 'off'}</Td>
                    <Td className="text-right">
                      <DeleteConnectionButton label={label} action={deleteConnectionAction.bind(null, slug, c.id)} />
                    </Td>
                  </Tr>
                );
              })}
            </TBody>
          </Table>
        )}
      </div>
    </>
  );
}
