import { SCOPE_NAMES, type TenantScope } from '@/lib/auth/permissions';

const LIFT = {
  connection: {
    who: 'An admin holding only',
    set: 'set up or last changed this connection',
    effect: 'People who sign in through it open at most these sections of this console, whatever their roles.',
    lift: 'The operator, or an admin holding every section, lifts this by saving the connection.',
  },
  directory: {
    who: 'An admin holding only',
    set: 'issued this directory’s token',
    effect: 'Its users open at most these sections of this console, whatever their roles, and it may not change users who hold more.',
    lift: 'The operator, or an admin holding every section, lifts this by rotating the token.',
  },
} as const;

/**
 * Says that a connection or directory is trusted only up to the console sections of whoever set it
 * up (lib/auth/permissions.ts `ceilingOf`); nothing when it has no ceiling.
 */
export function CeilingNotice({ ceiling, of }: { ceiling: readonly string[] | null; of: keyof typeof LIFT }) {
  if (!ceiling) return null;
  const t = LIFT[of];
  const names = ceiling.map((s) => SCOPE_NAMES[s as TenantScope] ?? s).join(', ') || 'no section';
  return (
    <p role="note" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      {t.who} {names} {t.set}. {t.effect} {t.lift}
    </p>
  );
}
