'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';

type Values = { name: string | null; allowIdpInitiated: boolean; requireMfa: boolean | null };

/** A connection's name, IdP-initiated switch and MFA requirement. */
export function ConnectionSettingsForm({ initial, save }: { initial: Values; save: (input: unknown) => Promise<ActionResult<unknown>> }) {
  const router = useRouter();
  const [name, setName] = useState(initial.name ?? '');
  const [idp, setIdp] = useState(initial.allowIdpInitiated);
  const [mfa, setMfa] = useState(initial.requireMfa === null ? 'policy' : initial.requireMfa ? 'required' : 'off');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [pending, start] = useTransition();
  return (
    <form
      noValidate
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        start(async () => {
          const r = await save({
            name: name.trim() ? name : null,
            allowIdpInitiated: idp,
            requireMfa: mfa === 'policy' ? null : mfa === 'required',
          });
          if (r.ok) {
            setErrors({});
            setMessage('Saved.');
            router.refresh();
          } else {
            setErrors(r.fieldErrors ?? {});
            setMessage(r.error);
          }
        });
      }}
    >
      <Field id="connection-name" label="Name" hint="Shown to admins only, e.g. “Okta production”." error={errors.name}>
        <Input value={name} maxLength={120} onChange={(e) => setName(e.target.value)} />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={idp} onChange={(e) => setIdp(e.target.checked)} />
        Allow sign-in started at the identity provider (IdP-initiated)
      </label>
      <Field id="connection-mfa" label="Multi-factor authentication" error={errors.requireMfa}>
        <select className="h-9 rounded-md border border-border bg-white px-2 text-sm" value={mfa} onChange={(e) => setMfa(e.target.value)}>
          <option value="policy">As the organisation’s sign-in policy says</option>
          <option value="required">Required for this connection</option>
          <option value="off">Not required for this connection</option>
        </select>
      </Field>
      <div className="flex items-center justify-end gap-3">
        {message && (
          <p role="status" className="text-sm text-muted-foreground">
            {message}
          </p>
        )}
        <Button type="submit" disabled={pending}>
          {pending ? 'Saving…' : 'Save settings'}
        </Button>
      </div>
    </form>
  );
}
