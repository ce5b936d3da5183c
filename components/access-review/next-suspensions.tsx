import { dueIn } from '@/lib/access-review/dates';
import type { ReviewItem } from '@/lib/access-review/validation';

/** Who an inactivity policy suspends next, and when (unless they sign in before). */
export function NextSuspensions({ items, days, now }: { items: (ReviewItem & { dueAt: string })[]; days: number | null; now: Date }) {
  if (days == null) return <p className="text-sm text-muted-foreground">The policy is off: nobody is suspended for inactivity.</p>;
  if (!items.length) return <p className="text-sm text-muted-foreground">No active user is subject to the policy (SCIM-managed users are left to their directory).</p>;
  return (
    <ol className="grid gap-1.5 text-sm" aria-label="Next to be suspended">
      {items.map((u) => (
        <li key={u.id} className="flex flex-wrap items-baseline justify-between gap-2">
          <span className="font-medium">{u.email}</span>
          <span className="text-muted-foreground">
            <time dateTime={u.dueAt}>{u.dueAt.slice(0, 16).replace('T', ' ')} UTC</time> · {dueIn(new Date(u.dueAt), now)}
            {u.lastLoginAt ? '' : ' (never signed in)'}
          </span>
        </li>
      ))}
    </ol>
  );
}
