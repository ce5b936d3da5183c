import { CopyValue } from '@/components/connections/copy-value';
import { PageHeader } from '@/components/layout/sidebar';
import { KeyRollover } from '@/components/service-provider/key-rollover';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireOperator } from '@/lib/auth/guards';
import { listSpEncryptionKeys } from '@/lib/sso/saml/sp-keys';
import { sp } from '@/lib/sso/sp';
import { utcMinute } from '@/lib/utils';
import { endSpKeyRolloverAction, startSpKeyRolloverAction } from '../actions';

/** The portal as a SAML service provider: the values every IdP gets, and its encryption key rollover. */
export default async function ServiceProviderPage() {
  await requireOperator();
  const s = sp();
  const keys = await listSpEncryptionKeys();
  const rolling = keys.some((k) => k.state === 'next');
  return (
    <>
      <PageHeader title="Service provider" description="What every tenant's SAML identity provider is given, and the portal's encryption certificates." />
      <div className="grid max-w-4xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>SAML endpoints</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-3">
            <CopyValue label="SP metadata URL (and entity ID)" value={s.entityId} />
            <CopyValue label="Assertion Consumer Service URL (HTTP-POST)" value={s.acsUrl} />
            <CopyValue label="Single logout URL (HTTP-Redirect and HTTP-POST)" value={s.sloUrl} />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Assertion encryption certificates</CardTitle>
            <CardDescription>
              Identity providers encrypt assertions to a certificate published in the SP metadata. To replace it, start a rollover: both are
              published and both decrypt until you finish it, once every IdP encrypts to the new one.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4">
            <div className="overflow-x-auto">
              <Table aria-label="Encryption certificates">
                <THead>
                  <Tr>
                    <Th>State</Th>
                    <Th>SHA-256 fingerprint</Th>
                    <Th>Expires</Th>
                  </Tr>
                </THead>
                <TBody>
                  {keys.map((k) => (
                    <Tr key={k.id}>
                      <Td>{k.state === 'current' ? <Badge tone="good">current</Badge> : <Badge>new (rollover)</Badge>}</Td>
                      <Td className="break-all font-mono text-xs">{k.id}</Td>
                      <Td>{utcMinute(new Date(k.notAfter))}</Td>
                    </Tr>
                  ))}
                </TBody>
              </Table>
            </div>
            <KeyRollover
              rolling={rolling}
              start={startSpKeyRolloverAction}
              finish={endSpKeyRolloverAction.bind(null, 'finish')}
              cancel={endSpKeyRolloverAction.bind(null, 'cancel')}
            />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
