import { PageHeader } from '@/components/layout/sidebar';
import { UserActions } from '@/components/users/user-actions';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Pager } from '@/components/ui/pager';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireTenant } from '@/lib/auth/guards';
import { listUsers } from '@/lib/dal/users';
import { userListQuerySchema } from '@/lib/validation/users';
import { userAction } from './actions';

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : 'never');

export default async function UsersPage({ params, searchParams }: { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string>> }) {
  const { slug } = await params;
  const { tenant } = await requireTenant(slug, 'sso');
  const q = userListQuerySchema.safeParse({ ...(await searchParams), limit: 50 });
  const page = await listUsers(tenant.id, q.success ? q.data : { limit: 50 });
  return (
    <>
      <PageHeader title="Users" description="People with an account in this organisation: created at SSO sign-in, by SCIM or by self-registration." />
      {page.data.length === 0 ? (
        <EmptyState>No users yet. They appear at their first SSO sign-in or when your directory pushes them.</EmptyState>
      ) : (
        <Table aria-label="Users">
          <THead>
            <Tr>
              <Th>Email</Th>
              <Th>Name</Th>
              <Th>Roles</Th>
              <Th>Source</Th>
              <Th>Last sign-in</Th>
              <Th>Status</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </Tr>
          </THead>
          <TBody>
            {page.data.map((u) => (
              <Tr key={u.id}>
                <Td className="font-medium">{u.email}</Td>
                <Td>{[u.firstName, u.lastName].filter(Boolean).join(' ') || '—'}</Td>
                <Td>{u.roles.join(', ') || '—'}</Td>
                <Td>{u.source}</Td>
                <Td className="text-muted-foreground">{day(u.lastLoginAt)}</Td>
                <Td>{u.status === 'active' ? <Badge tone="good">active</Badge> : <Badge tone="bad">suspended</Badge>}</Td>
                <Td>
                  <UserActions
                    email={u.email}
                    status={u.status}
                    suspend={userAction.bind(null, slug, 'suspend', u.id)}
                    reactivate={userAction.bind(null, slug, 'reactivate', u.id)}
                    remove={userAction.bind(null, slug, 'delete', u.id)}
                  />
                </Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      <Pager nextHref={page.nextCursor ? `/t/${slug}/users?cursor=${page.nextCursor}` : null} />
    </>
  );
}
