'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

const SCOPE_LABELS: Record<string, string> = {
  sso: 'SSO, users and policies',
  directory_sync: 'Directories',
  role_mappings: 'Role mappings',
  audit_log: 'Audit log and webhooks',
  domains: 'Domains',
};

/** Which app roles open which console sections after SSO: a role × section grid of checkboxes. */
export function ConsoleAccessForm({
  roles,
  scopes,
  initial,
  action,
  disabled,
}: {
  roles: string[];
  scopes: readonly string[];
  initial: Record<string, string[]>;
  action: (input: unknown) => Promise<ActionResult<unknown>>;
  disabled?: boolean;
}) {
  const router = useRouter();
  const [grid, setGrid] = useState<Record<string, string[]>>(initial);
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const [busy, setBusy] = useState(false);
  const toggle = (role: string, scope: string, on: boolean) => {
    setGrid((g) => {
      const current = new Set(g[role] ?? []);
      if (on) current.add(scope);
      else current.delete(scope);
      return { ...g, [role]: scopes.filter((s) => current.has(s)) };
    });
  };
  return (
    <Form
      className="grid gap-4"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const r = await action({ roles: Object.fromEntries(Object.entries(grid).filter(([, s]) => s.length)) });
        setBusy(false);
        if (!r.ok) return setError(r.error);
        toast('Console access saved.');
        router.refresh();
      }}
    >
      <div className="overflow-x-auto">
        <table className="w-full text-sm">
          <thead>
            <tr className="border-b border-border text-left">
              <th scope="col" className="py-2 pr-4 font-medium">
                Role
              </th>
              {scopes.map((s) => (
                <th key={s} scope="col" className="px-2 py-2 font-medium">
                  {SCOPE_LABELS[s] ?? s}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {roles.map((role) => (
              <tr key={role} className="border-b border-border last:border-0">
                <th scope="row" className="py-2 pr-4 text-left font-mono font-normal">
                  {role}
                </th>
                {scopes.map((s) => (
                  <td key={s} className="px-2 py-2">
                    <input
                      type="checkbox"
                      aria-label={`${role}: ${SCOPE_LABELS[s] ?? s}`}
                      checked={(grid[role] ?? []).includes(s)}
                      disabled={disabled}
                      onChange={(e) => toggle(role, s, e.target.checked)}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <FormError error={error} />
      {!disabled && (
        <div>
          <Button type="submit" disabled={busy}>
            {busy ? 'Saving…' : 'Save console access'}
          </Button>
        </div>
      )}
    </Form>
  );
}
