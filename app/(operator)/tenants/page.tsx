import Link from 'next/link';
import { PageHeader } from '@/components/layout/sidebar';
import { NewTenantDialog } from '@/components/tenants/new-tenant-dialog';
import { Button } from '@/components/ui/button';
import { EmptyState } from '@/components/ui/empty-state';
import { Input } from '@/components/ui/input';
import { Pager } from '@/components/ui/pager';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireOperator } from '@/lib/auth/guards';
import { listTenants } from '@/lib/dal/tenants';
import { tenantListQuerySchema } from '@/lib/validation/tenants';
import { createTenantAction } from '../actions';

export default async function TenantsPage({ searchParams }: { searchParams: Promise<Record<string, string>> }) {
  await requireOperator();
  const parsed = tenantListQuerySchema.safeParse({ ...(await searchParams), limit: 50 });
  const query = parsed.success ? parsed.data : { limit: 50 };
  const page = await listTenants(query);
  const q = 'q' in query ? query.q : undefined;

  return (
    <>
      <PageHeader
        title="Tenants"
        description="Customer organisations. Each has its own connections, directories and users."
        actions={<NewTenantDialog action={createTenantAction} />}
      />
      <form role="search" className="mb-4 flex max-w-md gap-2">
        <label htmlFor="q" className="sr-only">
          Search tenants
        </label>
        <Input id="q" name="q" defaultValue={q ?? ''} placeholder="Search by name, slug or domain" />
        <Button type="submit" variant="outline">
          Search
        </Button>
      </form>
      {page.data.length === 0 ? (
        <EmptyState>{q ? `No tenant matches “${q}”.` : 'No tenants yet. Create the first one with “New tenant”.'}</EmptyState>
      ) : (
        <Table aria-label="Tenants">
          <THead>
            <Tr>
              <Th>Name</Th>
              <Th>Slug</Th>
              <Th>Domains</Th>
              <Th>Created</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </Tr>
          </THead>
          <TBody>
            {page.data.map((t) => (
              <Tr key={t.id}>
                <Td className="font-medium">
                  <Link href={`/tenants/${t.id}`} className="font-medium underline decoration-zinc-300 underline-offset-2 hover:decoration-zinc-900">
                    {t.name}
                  </Link>
                </Td>
                <Td className="font-mono text-xs">{t.slug}</Td>
                <Td>{t.domains.join(', ') || <span className="text-muted-foreground">none</span>}</Td>
                <Td className="text-muted-foreground">{t.createdAt.toISOString().slice(0, 10)}</Td>
                <Td className="text-right">
                  <Button asChild variant="outline" size="sm">
                    <Link href={`/t/${t.slug}`}>Open console</Link>
                  </Button>
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <Pager nextHref={page.nextCursor ? `/tenants?${new URLSearchParams({ ...(q ? { q } : {}), cursor: page.nextCursor })}` : null} />
    </>
  );
}
