import { plural } from '@/lib/utils';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { CopyValue } from '@/components/connections/copy-value';
import { DeleteDirectoryButton } from '@/components/directories/delete-directory-button';
import { PROVIDER_LABELS } from '@/components/directories/providers';
import { SetupSteps } from '@/components/directories/setup-steps';
import { TokenActions } from '@/components/directories/token-actions';
import { CeilingNotice } from '@/components/console-access/ceiling-notice';
import { PageHeader } from '@/components/layout/sidebar';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import { requireTenant } from '@/lib/auth/guards';
import { holdsEverySection } from '@/lib/auth/permissions';
import { getDirectory, getDirectoryView, listDirectoryGroups, listDirectoryUsers, listRequests } from '@/lib/dal/directories';
import { AppError } from '@/lib/errors';
import { statusFilterSchema } from '@/lib/validation/directories';
import { deleteDirectoryAction, liftDirectoryLimitAction, revokeDirectoryTokenAction, rotateDirectoryTokenAction } from '../actions';

type Search = { tab?: string; status?: string; cursor?: string };
const TABS = [
  { id: 'log', label: 'Request log' },
  { id: 'users', label: 'Users' },
  { id: 'groups', label: 'Groups' },
] as const;
const STATUS_FILTERS = ['', '2xx', '4xx', '5xx', '401', '404', '409'];

const tone = (status: number) => (status < 300 ? 'good' : status < 500 ? 'warn' : 'bad');
const time = (iso: string) => iso.replace('T', ' ').slice(0, 19);

export default async function DirectoryPage({ params, searchParams }: { params: Promise<{ slug: string; directoryId: string }>; searchParams: Promise<Search> }) {
  const { slug, directoryId } = await params;
  const sp = await searchParams;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const directory = await getDirectoryView(tenant.id, directoryId).catch((e) => {
    if (e instanceof AppError && e.status === 404) notFound();
    throw e;
  });
  const { scopeCeiling } = await getDirectory(tenant.id, directoryId);
  const tab = TABS.some((t) => t.id === sp.tab) ? (sp.tab as (typeof TABS)[number]['id']) : 'log';
  const status = statusFilterSchema.safeParse(sp.status || undefined).success ? sp.status || undefined : undefined;
  const cursor = typeof sp.cursor === 'string' && sp.cursor.length <= 64 ? sp.cursor : undefined;
  const base = `/t/${slug}/directories/${directoryId}`;
  const href = (q: Record<string, string | undefined>) => {
    const u = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => !!e[1]));
    return `${base}${u.size ? `?${u}` : ''}`;
  };

  return (
    <>
      <PageHeader
        back={{ href: `/t/${slug}/directories`, label: 'Directories' }}
        title={directory.name}
        description={`${PROVIDER_LABELS[directory.provider]} · ${plural(directory.userCount, 'user')} · ${plural(directory.groupCount, 'group')}`}
        actions={<DeleteDirectoryButton name={directory.name} slug={slug} action={deleteDirectoryAction.bind(null, slug, directory.id)} />}
      />
      <div className="grid max-w-5xl gap-6">
        <CeilingNotice ceiling={scopeCeiling} of="directory" lift={holdsEverySection(principal) ? liftDirectoryLimitAction.bind(null, slug, directory.id) : undefined} />
        <Card>
          <CardHeader>
            <CardTitle>Connection</CardTitle>
            <CardDescription>
              The token is stored as a hash and cannot be shown again. Rotate it to get a new one.{' '}
              {directory.tokenActive ? <Badge tone="good">token active</Badge> : <Badge tone="bad">token revoked</Badge>}
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4">
            <CopyValue label="SCIM base URL" value={directory.scimUrl} />
            <TokenActions
              name={directory.name}
              tokenActive={directory.tokenActive}
              rotate={rotateDirectoryTokenAction.bind(null, slug, directory.id)}
              revoke={revokeDirectoryTokenAction.bind(null, slug, directory.id)}
            />
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Set up {PROVIDER_LABELS[directory.provider]}</CardTitle>
          </CardHeader>
          <CardContent>
            <SetupSteps provider={directory.provider} scimUrl={directory.scimUrl} />
          </CardContent>
        </Card>
        <nav aria-label="Directory sections" className="flex gap-1 border-b border-border">
          {TABS.map((t) => (
            <Link
              key={t.id}
              href={href({ tab: t.id === 'log' ? undefined : t.id })}
              aria-current={t.id === tab ? 'page' : undefined}
              className={`-mb-px border-b-2 px-3 py-2 text-sm ${t.id === tab ? 'border-primary font-medium' : 'border-transparent text-muted-foreground hover:text-foreground'}`}
            >
              {t.label}
            </Link>
          ))}
        </nav>
        {tab === 'log' && <RequestLog tenantId={tenant.id} directoryId={directory.id} status={status} cursor={cursor} href={href} />}
        {tab === 'users' && <Users tenantId={tenant.id} directoryId={directory.id} cursor={cursor} href={href} />}
        {tab === 'groups' && <Groups tenantId={tenant.id} directoryId={directory.id} cursor={cursor} href={href} />}
      </div>
    </>
  );
}

type Href = (q: Record<string, string | undefined>) => string;

async function RequestLog({ tenantId, directoryId, status, cursor, href }: { tenantId: string; directoryId: string; status?: string; cursor?: string; href: Href }) {
  const page = await listRequests(tenantId, directoryId, { limit: 50, cursor, status });
  return (
    <section aria-label="Request log" className="grid gap-3">
      <div className="flex flex-wrap items-center gap-1 text-sm" role="group" aria-label="Filter by status">
        <span className="mr-1 text-muted-foreground">Status:</span>
        {STATUS_FILTERS.map((s) => (
          <Link
            key={s || 'all'}
            href={href({ status: s || undefined })}
            aria-current={(status ?? '') === s ? 'true' : undefined}
            className={`rounded-full px-2.5 py-0.5 ${(status ?? '') === s ? 'bg-primary text-primary-foreground' : 'bg-muted hover:bg-muted/70'}`}
          >
            {s || 'All'}
          </Link>
        ))}
      </div>
      {page.data.length === 0 ? (
        <p className="rounded-lg border border-dashed border-border p-6 text-center text-sm text-muted-foreground">
          {status ? `No request with status ${status}.` : 'No SCIM request yet. Requests of your identity provider appear here.'}
        </p>
      ) : (
        <Table aria-label="SCIM requests">
          <THead>
            <Tr>
              <Th>Time (UTC)</Th>
              <Th>Request</Th>
              <Th>Status</Th>
              <Th>Outcome</Th>
              <Th>What changed</Th>
            </Tr>
          </THead>
          <TBody>
            {page.data.map((r) => (
              <Tr key={r.id}>
                <Td className="whitespace-nowrap font-mono text-xs">{time(r.occurredAt)}</Td>
                <Td className="max-w-xs break-all font-mono text-xs">
                  {r.method} {r.path}
                </Td>
                <Td>
                  <Badge tone={tone(r.status)}>{r.status}</Badge>
                </Td>
                <Td className="text-xs">{r.outcome.replace('_', ' ')}</Td>
                <Td className="max-w-md text-xs">{r.summary}</Td>
              </Tr>
            ))}
          </TBody>
        </Table>
      )}
      {page.nextCursor && (
        <Link className="text-sm text-primary" href={href({ status, cursor: page.nextCursor })}>
          Older requests →
        </Link>
      )}
    </section>
  );
}

async function Users({ tenantId, directoryId, cursor, href }: { tenantId: string; directoryId: string; cursor?: string; href: Href }) {
  const page = await listDirectoryUsers(tenantId, directoryId, { limit: 50, cursor });
  if (!page.data.length) return <p className="text-sm text-muted-foreground">No user pushed yet.</p>;
  return (
    <section aria-label="Directory users" className="grid gap-3">
      <Table aria-label="SCIM users">
        <THead>
          <Tr>
            <Th>userName</Th>
            <Th>Email</Th>
            <Th>Status</Th>
            <Th>Groups</Th>
          </Tr>
        </THead>
        <TBody>
          {page.data.map((u) => (
            <Tr key={u.id}>
              <Td className="font-mono text-xs">{u.userName}</Td>
              <Td className="text-xs">{u.email ?? '—'}</Td>
              <Td>{u.active ? <Badge tone="good">active</Badge> : <Badge tone="warn">inactive</Badge>}</Td>
              <Td className="text-xs">{u.groups.join(', ') || '—'}</Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      {page.nextCursor && (
        <Link className="text-sm text-primary" href={href({ tab: 'users', cursor: page.nextCursor })}>
          More users →
        </Link>
      )}
    </section>
  );
}

async function Groups({ tenantId, directoryId, cursor, href }: { tenantId: string; directoryId: string; cursor?: string; href: Href }) {
  const page = await listDirectoryGroups(tenantId, directoryId, { limit: 50, cursor });
  if (!page.data.length) return <p className="text-sm text-muted-foreground">No group pushed yet.</p>;
  return (
    <section aria-label="Directory groups" className="grid gap-3">
      <Table aria-label="SCIM groups">
        <THead>
          <Tr>
            <Th>Name</Th>
            <Th>External id</Th>
            <Th>Members</Th>
          </Tr>
        </THead>
        <TBody>
          {page.data.map((g) => (
            <Tr key={g.id}>
              <Td>{g.displayName}</Td>
              <Td className="font-mono text-xs">{g.externalId ?? '—'}</Td>
              <Td>{g.memberCount}</Td>
            </Tr>
          ))}
        </TBody>
      </Table>
      {page.nextCursor && (
        <Link className="text-sm text-primary" href={href({ tab: 'groups', cursor: page.nextCursor })}>
          More groups →
        </Link>
      )}
    </section>
  );
}
