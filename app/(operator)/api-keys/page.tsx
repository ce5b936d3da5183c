import { CreateKeyForm } from '@/components/api-keys/create-key-form';
import { RevokeKeyButton } from '@/components/api-keys/revoke-key-button';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireOperator } from '@/lib/auth/guards';
import { listApiKeys } from '@/lib/dal/api-keys';
import { createApiKeyAction, revokeApiKeyAction } from '../actions';

const fmt = (d: Date | null) => (d ? d.toISOString().replace('T', ' ').slice(0, 16) : '—');

export default async function ApiKeysPage() {
  await requireOperator();
  const keys = await listApiKeys();
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys for the operator REST API at <code>/api/v1</code> (send <code>Authorization: Bearer &lt;key&gt;</code>). Only a
            hash of each key is stored. <a className="underline" href="/api/v1/openapi.json">OpenAPI document</a>
          </>
        }
      />
      <div className="grid max-w-4xl gap-6">
        <Card>
          <CardHeader>
            <CardTitle>Create a key</CardTitle>
          </CardHeader>
          <CardContent>
            <CreateKeyForm action={createApiKeyAction} />
          </CardContent>
        </Card>
        {keys.length === 0 ? (
          <EmptyState>No API keys yet. Create one above to call the API from your backend.</EmptyState>
        ) : (
          <Table aria-label="API keys">
            <THead>
              <Tr>
                <Th>Name</Th>
                <Th>Key</Th>
                <Th>Created</Th>
                <Th>Last used</Th>
                <Th>Status</Th>
                <Th>
                  <span className="sr-only">Actions</span>
                </Th>
              </Tr>
            </THead>
            <TBody>
              {keys.map((k) => (
                <Tr key={k.id}>
                  <Td className="font-medium">{k.name}</Td>
                  <Td className="font-mono text-xs">{k.prefix}…</Td>
                  <Td>{fmt(k.createdAt)}</Td>
                  <Td>{fmt(k.lastUsedAt)}</Td>
                  <Td>{k.revokedAt ? <Badge tone="bad">revoked</Badge> : <Badge tone="good">active</Badge>}</Td>
                  <Td className="text-right">
                    {!k.revokedAt && <RevokeKeyButton name={k.name} action={revokeApiKeyAction.bind(null, k.id)} />}
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
      </div>
    </>
  );
}
