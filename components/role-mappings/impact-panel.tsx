'use client';
import { Badge } from '@/components/ui/badge';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import type { Impact } from '@/lib/provisioning/impact';

export type ImpactState =
  | { state: 'loading'; last: Impact | null }
  | { state: 'ready'; impact: Impact }
  | { state: 'invalid' }
  | { state: 'error'; message: string };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function Roles({ roles, label }: { roles: string[]; label: string }) {
  if (!roles.length) return <span className="text-xs text-muted-foreground">no roles</span>;
  return (
    <ul aria-label={label} className="flex flex-wrap gap-1">
      {roles.map((r) => (
        <li key={r}>
          <Badge>{r}</Badge>
        </li>
      ))}
    </ul>
  );
}

/** How many existing users would gain or lose which roles under the draft, and who they are. */
export function ImpactPanel({ value }: { value: ImpactState }) {
  if (value.state === 'invalid') {
    return <p className="text-sm text-muted-foreground">Fix the highlighted rules to see the impact on existing users.</p>;
  }
  if (value.state === 'error') {
    return (
      <p role="alert" className="text-sm text-destructive">
        The impact could not be checked: {value.message}
      </p>
    );
  }
  const impact = value.state === 'ready' ? value.impact : value.last;
  return (
    <div className="grid gap-4" aria-busy={value.state === 'loading'}>
      <p role="status" className="text-sm">
        {value.state === 'loading' && !impact ? 'Checking existing users…' : impact ? summary(impact) : null}
        {value.state === 'loading' && impact ? <span className="text-muted-foreground"> (updating…)</span> : null}
      </p>
      {impact && impact.notChecked > 0 && (
        <p role="note" className="text-xs text-amber-800">
          The preview stopped early to stay quick: {plural(impact.notChecked, 'more user')} {impact.notChecked === 1 ? 'was' : 'were'} not checked, so the counts
          above are a part only. Saving with “Apply now” still applies these rules to everyone.
        </p>
      )}
      {impact && impact.changedCount > impact.changedByDraft && (
        <p className="text-xs text-muted-foreground">
          {impact.changedCount - impact.changedByDraft} of them (marked “pending”) would change at their next sign-in even without this
          edit: their roles already differ from what the saved rules give.
        </p>
      )}
      {impact && impact.byRole.length > 0 && (
        <ul aria-label="Role changes" className="flex flex-wrap gap-2 text-sm">
          {impact.byRole.map((r) => (
            <li key={r.role} className="rounded-md border border-border px-2 py-1">
              <span className="font-medium">{r.role}</span>
              {r.gained > 0 && <span className="ml-2 text-emerald-700">+{r.gained} gain</span>}
              {r.lost > 0 && <span className="ml-2 text-red-700">−{r.lost} lose</span>}
            </li>
          ))}
        </ul>
      )}
      {impact && impact.changes.length > 0 && (
        <>
          <Table aria-label="Users whose roles would change">
            <THead>
              <Tr>
                <Th>User</Th>
                <Th>Roles now</Th>
                <Th>Roles under these rules</Th>
              </Tr>
            </THead>
            <TBody>
              {impact.changes.map((c) => (
                <Tr key={c.userId}>
                  <Td className="break-all">
                    {c.email}
                    {c.status === 'suspended' && (
                      <Badge tone="warn" className="ml-2">
                        suspended
                      </Badge>
                    )}
                    {c.pending && (
                      <Badge className="ml-2" title="The saved rules already give these roles; they apply at the next sign-in.">
                        pending
                      </Badge>
                    )}
                  </Td>
                  <Td>
                    <Roles roles={c.before} label={`Roles of ${c.email} now`} />
                  </Td>
                  <Td>
                    <Roles roles={c.after} label={`Roles of ${c.email} under these rules`} />
                    <span className="sr-only">
                      {c.added.length ? ` gains ${c.added.join(', ')}.` : ''}
                      {c.removed.length ? ` loses ${c.removed.join(', ')}.` : ''}
                    </span>
                  </Td>
                </Tr>
              ))}
            </TBody>
          </Table>
          {impact.changes.length < impact.changedCount && (
            <p className="text-xs text-muted-foreground">
              Showing the first {impact.changes.length} of {impact.changedCount}.
            </p>
          )}
        </>
      )}
      {impact && impact.unknownCount > 0 && (
        <details className="rounded-md border border-border p-3 text-sm">
          <summary className="cursor-pointer">
            {plural(impact.unknownCount, 'user')} unknown until next sign-in (no attributes kept from a sign-in)
          </summary>
          <ul aria-label="Users unknown until next sign-in" className="mt-2 grid gap-1">
            {impact.unknown.map((u) => (
              <li key={u.userId} className="flex flex-wrap items-center gap-2">
                <span className="break-all">{u.email}</span>
                <span className="text-xs text-muted-foreground">now: {u.roles.length ? u.roles.join(', ') : 'no roles'}</span>
                {u.status === 'suspended' && <Badge tone="warn">suspended</Badge>}
              </li>
            ))}
          </ul>
          {impact.unknown.length < impact.unknownCount && (
            <p className="mt-2 text-xs text-muted-foreground">
              Showing the first {impact.unknown.length} of {impact.unknownCount}.
            </p>
          )}
        </details>
      )}
    </div>
  );
}

function summary(i: Impact): string {
  if (i.evaluated === 0 && i.unknownCount === 0) return 'No users yet: nobody has signed in to this organisation.';
  if (i.evaluated === 0) return 'No user has a kept sign-in yet, so the impact cannot be computed.';
  if (i.changedCount === 0) return `No change: all ${plural(i.evaluated, 'user')} with a known sign-in keep their roles.`;
  return `${plural(i.changedCount, 'user')} of ${i.evaluated} with a known sign-in would change roles.`;
}
