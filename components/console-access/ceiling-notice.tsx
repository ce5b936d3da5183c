import { SCOPE_NAMES, type TenantScope } from '@/lib/auth/permissions';
import { ConfirmButton } from '@/components/ui/confirm-button';

const TEXT = {
  connection: {
    set: 'set up or last changed how far this connection is trusted',
    effect: 'People who sign in through it open at most these sections of this console, whatever their roles, and it signs in nobody who holds more.',
    lift: 'Lift it once you trust this identity provider to say who anyone in your organisation is: its sign-ins then open what their roles open.',
  },
  directory: {
    set: 'set up or last issued the token of this directory',
    effect: 'Its users open at most these sections of this console, whatever their roles, and it may not change users who hold more.',
    lift: 'Lift it once you trust whoever holds its token, and have checked its users and groups: what it says of them is then trusted in full.',
  },
} as const;

/**
 * Says that a connection or directory is trusted only up to the console sections of whoever set it
 * up (lib/auth/permissions.ts `ceilingOf`), with the way to lift that for those who may (`lift`);
 * nothing when it has no limit.
 */
export function CeilingNotice({
  ceiling,
  of,
  lift,
}: {
  ceiling: readonly string[] | null;
  of: keyof typeof TEXT;
  lift?: () => Promise<{ error?: string } | void>;
}) {
  if (!ceiling) return null;
  const t = TEXT[of];
  const names = ceiling.map((s) => SCOPE_NAMES[s as TenantScope] ?? s).join(', ') || 'no section';
  return (
    <div role="note" aria-label="Limited trust" className="grid gap-2 rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      <p>
        An admin holding only {names} {t.set}. {t.effect}
      </p>
      {lift ? (
        <div>
          <ConfirmButton variant="outline" size="sm" title="Lift the limit?" description={t.lift} confirmLabel="Lift the limit" done="Limit lifted." onConfirm={lift}>
            Lift the limit
          </ConfirmButton>
        </div>
      ) : (
        <p>The operator, or an admin holding every section, can lift this limit.</p>
      )}
    </div>
  );
}
