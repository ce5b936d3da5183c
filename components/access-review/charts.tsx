import type { ReviewStats } from '@/lib/access-review/query';
import { plural } from '@/lib/utils';

/** Horizontal bars (plain CSS, no chart library), each labelled with its count. */
function Bars({ label, rows, unit = 'users' }: { label: string; rows: { name: string; value: number; tone: string }[]; unit?: string }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <figure className="grid gap-2" role="img" aria-label={`${label}: ${rows.map((r) => `${r.name} ${r.value}`).join(', ')}`}>
      <ul className="grid gap-1.5" aria-hidden>
        {rows.map((r) => (
          <li key={r.name} className="grid grid-cols-[8rem_1fr_3rem] items-center gap-2 text-sm">
            <span className="truncate text-muted-foreground" title={r.name}>
              {r.name}
            </span>
            <span className="h-4 rounded-sm bg-muted">
              <span className={`block h-4 rounded-sm ${r.tone}`} style={{ width: `${(r.value / max) * 100}%` }} />
            </span>
            <span className="text-right tabular-nums">{r.value}</span>
          </li>
        ))}
      </ul>
      <figcaption className="sr-only">
        {label} ({unit})
      </figcaption>
    </figure>
  );
}

/** Active vs dormant (no sign-in for N days) vs suspended users. */
export function ActivityChart({ stats }: { stats: ReviewStats }) {
  return (
    <div className="grid gap-2">
      <Bars
        label="Users by activity"
        rows={[
          { name: 'Active', value: stats.active, tone: 'bg-emerald-500' },
          { name: `Dormant (> ${stats.dormantDays} d)`, value: stats.dormant, tone: 'bg-amber-500' },
          { name: 'Suspended', value: stats.suspended, tone: 'bg-red-500' },
        ]}
      />
      <p className="text-xs text-muted-foreground">
        {plural(stats.total, 'user')}; {stats.neverSignedIn} never signed in. Dormant: active, but no sign-in (or, never signed in, created) more than {stats.dormantDays} days ago.
      </p>
    </div>
  );
}

/** Users per role (someone with two roles counts in both). */
export function RolesChart({ stats }: { stats: ReviewStats }) {
  if (!stats.roles.length) return <p className="text-sm text-muted-foreground">No roles yet.</p>;
  return <Bars label="Users per role" rows={stats.roles.map((r) => ({ name: r.role ?? '(no role)', value: r.users, tone: r.role ? 'bg-sky-500' : 'bg-zinc-400' }))} />;
}
