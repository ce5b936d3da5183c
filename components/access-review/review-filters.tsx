import Link from 'next/link';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';

export type ReviewFilterValues = Partial<Record<'filter' | 'inactiveDays' | 'role' | 'status' | 'source', string>>;

const selectClass = 'h-9 rounded-md border border-border bg-white px-2 text-sm shadow-sm focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring';

/** The access review filters: a plain GET form, so the filters live in the URL (and the CSV link). */
export function ReviewFilters({ values, roles, resetHref, defaultDays }: { values: ReviewFilterValues; roles: string[]; resetHref: string; defaultDays: number }) {
  return (
    // Keyed by the values: after a navigation (Reset, Apply) the uncontrolled fields show the URL's filters.
    <form key={JSON.stringify(values)} role="search" aria-label="Filter users" className="mb-4 grid gap-3 rounded-lg border border-border p-4 md:grid-cols-5">
      <div className="grid gap-1.5">
        <Label htmlFor="filter">Show</Label>
        <select id="filter" name="filter" defaultValue={values.filter ?? ''} className={selectClass}>
          <option value="">Everyone</option>
          <option value="never_signed_in">Never signed in</option>
          <option value="inactive">Inactive for more than N days</option>
        </select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="inactiveDays">N days (inactive)</Label>
        <Input id="inactiveDays" name="inactiveDays" inputMode="numeric" placeholder={String(defaultDays)} defaultValue={values.inactiveDays ?? ''} />
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="role">Has role</Label>
        <select id="role" name="role" defaultValue={values.role ?? ''} className={selectClass}>
          <option value="">Any role</option>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="status">Status</Label>
        <select id="status" name="status" defaultValue={values.status ?? ''} className={selectClass}>
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="suspended">Suspended</option>
        </select>
      </div>
      <div className="grid gap-1.5">
        <Label htmlFor="source">Source</Label>
        <select id="source" name="source" defaultValue={values.source ?? ''} className={selectClass}>
          <option value="">Any source</option>
          <option value="jit">Just-in-time</option>
          <option value="scim">SCIM</option>
          <option value="self_registration">Self-registration</option>
        </select>
      </div>
      <div className="flex items-end gap-2 md:col-span-5">
        <Button type="submit">Apply filters</Button>
        <Button asChild variant="ghost">
          <Link href={resetHref}>Reset</Link>
        </Button>
      </div>
    </form>
  );
}
