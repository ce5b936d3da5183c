'use client';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { useSave } from '@/components/ui/use-save';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = { name: string | null; allowIdpInitiated: boolean; requireMfa: boolean | null; trustUnverifiedEmail: boolean; requireEncryptedAssertions: boolean };

/** A connection's name, IdP-initiated switch, MFA requirement, (SAML) encryption requirement and (OIDC) acceptance of unverified emails. */
export function ConnectionSettingsForm({
  type,
  initial,
  save,
}: {
  type: 'saml' | 'oidc';
  initial: Values;
  save: (input: unknown) => Promise<ActionResult<unknown>>;
}) {
  const [name, setName] = useState(initial.name ?? '');
  const [idp, setIdp] = useState(initial.allowIdpInitiated);
  const [trustUnverified, setTrustUnverified] = useState(initial.trustUnverifiedEmail);
  const [encrypted, setEncrypted] = useState(initial.requireEncryptedAssertions);
  const [mfa, setMfa] = useState(initial.requireMfa === null ? 'policy' : initial.requireMfa ? 'required' : 'off');
  const { errors, error, pending, save: submit } = useSave(save, 'Connection settings saved.');
  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        submit({
          name: name.trim() ? name : null,
          allowIdpInitiated: idp,
          requireMfa: mfa === 'policy' ? null : mfa === 'required',
          ...(type === 'oidc' ? { trustUnverifiedEmail: trustUnverified } : { requireEncryptedAssertions: encrypted }),
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
      {type === 'saml' && (
        <div className="grid gap-1">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" aria-describedby="connection-encrypted-hint" checked={encrypted} onChange={(e) => setEncrypted(e.target.checked)} />
            Require encrypted assertions
          </label>
          <p id="connection-encrypted-hint" className="text-sm text-muted-foreground">
            Refuse assertions the identity provider did not encrypt to the portal’s encryption certificate (in the SP metadata). Turn encryption on at the
            identity provider first; the guide for your provider says where.
          </p>
        </div>
      )}
      {type === 'oidc' && (
        <div className="grid gap-1">
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" aria-describedby="connection-trust-unverified-hint" checked={trustUnverified} onChange={(e) => setTrustUnverified(e.target.checked)} />
            Trust email addresses the provider does not mark as verified
          </label>
          <p id="connection-trust-unverified-hint" className="text-sm text-muted-foreground">
            Turn this on only for a provider that controls every address it issues but never sends <code>email_verified</code> (Microsoft Entra ID);
            otherwise such a sign-in is refused. Even when on, an unverified address never joins an existing user to a new account at the provider.
          </p>
        </div>
      )}
      <div className="flex items-center justify-end gap-3">
        <FormError error={error} shown={[errors.name, errors.requireMfa]} />
        <Button type="submit" disabled={pending}>
          {pending ? 'Saving…' : 'Save settings'}
        </Button>
      </div>
    </Form>
  );
}
