import Link from 'next/link';
import { CreateDirectoryForm } from '@/components/directories/create-directory-form';
import { PROVIDER_LABELS } from '@/components/directories/providers';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireTenant } from '@/lib/auth/guards';
import { listDirectories } from '@/lib/dal/directories';
import { createDirectoryAction } from './actions';

export default async function DirectoriesPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'directory_sync');
  const { data: directories } = await listDirectories(tenant.id);
  return (
    <>
      <PageHeader title="Directories" description="Users and groups pushed by your identity provider over SCIM 2.0 (Okta, Microsoft Entra ID, OneLogin, JumpCloud…)." />
      <div className="grid max-w-5xl gap-6">
        {directories.length === 0 ? (
          <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted-foreground">
            No directory yet. Create one below and paste its SCIM base URL and token into your identity provider.
          </p>
        ) : (
          <Table aria-label="Directories">
            <THead>
              <Tr>
                <Th>Name</Th>
                <Th>Provider</Th>
                <Th>Users</Th>
                <Th>Groups</Th>
                <Th>Token</Th>
              </Tr>
            </THead>
            <TBody>
              {directories.map((d) => (
                <Tr key={d.id}>
                  <Td>
                    <Link className="font-medium text-primary underline-offset-4 hover:underline" href={`/t/${slug}/directories/${d.id}`}>
                      {d.name}
                    </Link>
                  </Td>
                  <Td>{PROVIDER_LABELS[d.provider]}</Td>
                  <Td>{d.userCount}</Td>
                  <Td>{d.groupCount}</Td>
                  <Td>{d.tokenActive ? <Badge tone="good">active</Badge> : <Badge tone="bad">revoked</Badge>}</Td>
                </Tr>
              ))}
            </TBody>
          </Table>
        )}
        <Card>
          <CardHeader>
            <CardTitle>Add a directory</CardTitle>
            <CardDescription>Each directory has its own SCIM base URL and bearer token, and sees only its own users and groups.</CardDescription>
          </CardHeader>
          <CardContent>
            <CreateDirectoryForm slug={slug} action={createDirectoryAction.bind(null, slug)} />
          </CardContent>
        </Card>
      </div>
    </>
  );
}
