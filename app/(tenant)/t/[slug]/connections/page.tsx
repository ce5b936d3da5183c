import { CertificateStatusList } from '@/components/connections/certificate-status';
import { CopyValue } from '@/components/connections/copy-value';
import { DeleteConnectionButton } from '@/components/connections/delete-connection-button';
import { OidcConnectionForm } from '@/components/connections/oidc-connection-form';
import { SamlConnectionForm } from '@/components/connections/saml-connection-form';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireTenant } from '@/lib/auth/guards';
import { listConnections } from '@/lib/dal/connections';
import { sp } from '@/lib/sso/sp';
import { createConnectionAction, deleteConnectionAction, previewMetadataAction } from '../actions';

export default async function ConnectionsPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'sso');
  const { data: connections } = await listConnections(tenant.id);
  const s = sp();
  return (
    <>
      <PageHeader title="Connections" description="Single sign-on through your identity provider (SAML 2.0 or OpenID Connect)." />
      <div className="grid max-w-4xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>Values for your identity provider</CardTitle>
            <CardDescription>
              Create a SAML application in your IdP with these values (the entity ID is also the SP metadata URL). Send the email
              address as the NameID or an “email” attribute, names as firstName/lastName and groups as “groups”. For OpenID
              Connect, register the redirect URI and request the openid, email and profile scopes.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-3">
            <CopyValue label="ACS URL (Reply URL)" value={s.acsUrl} />
            <CopyValue label="SP entity ID (Audience)" value={s.entityId} />
            <CopyValue label="OIDC redirect URI" value={s.oidcRedirectUrl} />
          </CardContent>
        </Card>
        {connections.length === 0 ? (
          <EmptyState>No connection yet. Add your identity provider’s metadata below.</EmptyState>
        ) : (
          <Table aria-label="Connections">
            <THead>
              <Tr>
                <Th>Type</Th>
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
                    <Td className="max-w-xs break-all font-mono text-xs">{label}</Td>
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
        <Card>
          <CardHeader>
            <CardTitle>Add a SAML connection</CardTitle>
          </CardHeader>
          <CardContent>
            <SamlConnectionForm preview={previewMetadataAction.bind(null, slug)} create={createConnectionAction.bind(null, slug)} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Add an OpenID Connect connection</CardTitle>
          </CardHeader>
          <CardContent>
            <OidcConnectionForm create={createConnectionAction.bind(null, slug)} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
