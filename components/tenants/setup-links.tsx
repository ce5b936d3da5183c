'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { SecretOnce } from '@/components/ui/secret-once';
import type { ActionResult } from '@/lib/actions';
import { utcMinute as when } from '@/lib/utils';
import { Form } from '@/components/ui/form';

type Scope = 'sso' | 'directory_sync' | 'role_mappings' | 'audit_log' | 'domains';
type Link = { id: string; scopes: Scope[]; createdAt: string; expiresAt: string; usedAt: string | null; state: 'unused' | 'in_use' | 'expired' | 'revoked' };

const SCOPES: { value: Scope; label: string }[] = [
  { value: 'sso', label: 'SSO connections, users, provisioning, sign-in policy' },
  { value: 'directory_sync', label: 'Directory sync (SCIM)' },
  { value: 'role_mappings', label: 'Role mappings' },
  { value: 'domains', label: 'Email domains' },
  { value: 'audit_log', label: 'Audit log and webhooks' },
];
const SCOPE_SHORT: Record<Scope, string> = { sso: 'SSO', directory_sync: 'Directory sync', role_mappings: 'Role mappings', domains: 'Domains', audit_log: 'Audit log' };
const VALIDITY = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 24 * 3600, label: '24 hours' },
  { seconds: 7 * 24 * 3600, label: '7 days' },
];
const STATE: Record<Link['state'], { label: string; tone: 'good' | 'neutral' | 'warn' | 'bad' }> = {
  unused: { label: 'Not opened yet', tone: 'neutral' },
  in_use: { label: 'Opened', tone: 'good' },
  expired: { label: 'Expired', tone: 'warn' },
  revoked: { label: 'Revoked', tone: 'bad' },
};

/**
 * The operator's setup links for one tenant: make one for a customer's IT admin (the sections it
 * opens, how long it lasts; the URL is shown once, to copy), see which were opened, revoke one.
 */
export function SetupLinks({
  links,
  create,
  revoke,
}: {
  links: Link[];
  create: (input: unknown) => Promise<ActionResult<string>>;
  revoke: (id: string) => Promise<{ error?: string }>;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [scopes, setScopes] = useState<Scope[]>(SCOPES.map((s) => s.value));
  const [validity, setValidity] = useState(24 * 3600);
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="grid gap-4 text-sm">
      <Form
        className="grid gap-3"
        onSubmit={(e) => {
          e.preventDefault();
          start(async () => {
            const r = await create({ scopes, expiresInSeconds: validity });
            if (!r.ok) {
              setError(r.fieldErrors?.scopes ? `Choose at least one section: ${r.fieldErrors.scopes}.` : r.error);
              return;
            }
            setError(null);
            setUrl(r.data ?? null);
            router.refresh();
          });
        }}
      >
        <fieldset className="grid gap-1">
          <legend className="mb-1 font-medium">Sections the link opens</legend>
          {SCOPES.map((s) => (
            <label key={s.value} className="flex items-center gap-2">
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => setScopes((cur) => (e.target.checked ? [...cur, s.value] : cur.filter((x) => x !== s.value)))}
              />
              {s.label}
            </label>
          ))}
        </fieldset>
        <label className="grid max-w-xs gap-1">
          <span className="font-medium">Valid for</span>
          <select className="rounded-md border border-border bg-background px-2 py-1.5" value={validity} onChange={(e) => setValidity(Number(e.target.value))}>
            {VALIDITY.map((v) => (
              <option key={v.seconds} value={v.seconds}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
        <div>
          <Button type="submit" disabled={pending}>
            {pending ? 'Creating…' : 'Create setup link'}
          </Button>
        </div>
        {error && (
          <p role="alert" className="text-destructive">
            {error}
          </p>
        )}
      </Form>
      {url && <SecretOnce label="Setup link" value={url} kind="link" title="Send this link to the customer’s IT admin. Copy it now" />}
      {links.length === 0 ? (
        <p className="text-muted-foreground">No setup links yet.</p>
      ) : (
        <div className="overflow-x-auto">
          <table aria-label="Setup links" className="w-full">
            <thead>
              <tr className="text-left text-muted-foreground">
                <th className="py-1 pr-3 font-medium">Created</th>
                <th className="py-1 pr-3 font-medium">Opens</th>
                <th className="py-1 pr-3 font-medium">Expires</th>
                <th className="py-1 pr-3 font-medium">State</th>
                <th className="py-1 font-medium">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.map((l) => (
                <tr key={l.id} className="border-t border-border align-top">
                  <td className="whitespace-nowrap py-1 pr-3">{when(l.createdAt)}</td>
                  <td className="py-1 pr-3">{l.scopes.map((s) => SCOPE_SHORT[s]).join(', ')}</td>
                  <td className="whitespace-nowrap py-1 pr-3">{when(l.expiresAt)}</td>
                  <td className="py-1 pr-3">
                    <Badge tone={STATE[l.state].tone}>{STATE[l.state].label}</Badge>
                  </td>
                  <td className="py-1">
                    {(l.state === 'unused' || l.state === 'in_use') && (
                      <ConfirmButton
                        size="sm"
                        title="Revoke this setup link?"
                        description="The link stops working, and a console opened with it is signed out at once."
                        confirmLabel="Revoke link" done="Setup link revoked."
                        onConfirm={async () => {
                          const r = await revoke(l.id);
                          if (!r.error) router.refresh();
                          return r;
                        }}
                      >
                        Revoke
                      </ConfirmButton>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
