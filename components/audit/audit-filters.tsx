import Link from 'next/link';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

export type FilterValues = Partial<Record<'action' | 'actorId' | 'targetId' | 'outcome' | 'since' | 'until' | 'q' | 'tenantId', string>>;

/** "2025-01-31T12:00:00.000Z" → "2025-01-31T12:00" for a datetime-local input (read back as UTC). */
const toLocalInput = (v?: string) => (v && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) ? v.slice(0, 16) : v ?? '');

/**
 * The audit log filters: a plain GET form, so every filter lives in the URL (shareable, works
 * without JavaScript). Empty fields are sent empty and ignored.
 */
export function AuditFilters({ values, resetHref, withTenant }: { values: FilterValues; resetHref: string; withTenant?: boolean }) {
  return (
    <form role="search" aria-label="Filter audit events" className="mb-4 grid gap-3 rounded-lg border border-border p-4 md:grid-cols-4">
      <Text id="q" label="Search" value={values.q} placeholder="email, IP, reason, action…" className="md:col-span-2" />
      <Text id="action" label="Action" value={values.action} placeholder="sso.login_failed or sso.*" />
      <div className="grid gap-1.5">
        <Label htmlFor="outcome">Outcome</Label>
        <select
          id="outcome"
          name="outcome"
          defaultValue={values.outcome ?? ''}
          className="h-9 rounded-md border border-border bg-white px-2 text-sm shadow-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
        >
          <option value="">Any</option>
          <option value="success">Success</option>
          <option value="failure">Failure</option>
        </select>
      </div>
      <Text id="actorId" label="Actor id" value={values.actorId} placeholder="usr_… or key_…" />
      <Text id="targetId" label="Target id" value={values.targetId} placeholder="usr_…, con_…" />
      <Text id="since" label="From (UTC)" type="datetime-local" value={toLocalInput(values.since)} />
      <Text id="until" label="Until (UTC)" type="datetime-local" value={toLocalInput(values.until)} />
      {withTenant && <Text id="tenantId" label="Tenant id" value={values.tenantId} placeholder="tnt_…" />}
      <div className="flex items-end gap-2 md:col-span-4">
        <Button type="submit">Apply filters</Button>
        <Button asChild variant="ghost">
          <Link href={resetHref}>Reset</Link>
        </Button>
      </div>
    </form>
  );
}

function Text({ id, label, value, placeholder, type = 'text', className }: { id: string; label: string; value?: string; placeholder?: string; type?: string; className?: string }) {
  return (
    <div className={`grid gap-1.5 ${className ?? ''}`}>
      <Label htmlFor={`f-${id}`}>{label}</Label>
      <Input id={`f-${id}`} name={id} type={type} defaultValue={value ?? ''} placeholder={placeholder} maxLength={200} />
    </div>
  );
}
