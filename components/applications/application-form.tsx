'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { SecretOnce } from '@/components/ui/secret-once';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = {
  name: string;
  type: 'confidential' | 'public';
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  initiateLoginUri: string | null;
  tenantIds: string[] | null;
};

/**
 * Creates (with the client secret shown once) or edits an application. Field errors from the
 * server name the line (`redirectUris.1`), shown under the field.
 */
export function ApplicationForm({
  initial,
  tenants,
  action,
  submitLabel,
}: {
  initial?: Values;
  tenants: { id: string; name: string; slug: string }[];
  action: (input: unknown) => Promise<ActionResult<{ clientId: string; clientSecret?: string } | unknown>>;
  submitLabel: string;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [created, setCreated] = useState<{ clientId: string; clientSecret?: string } | null>(null);
  const [restrict, setRestrict] = useState(!!initial?.tenantIds);
  const [busy, setBusy] = useState(false);
  const toast = useToast();
  const fe = (k: string) => Object.entries(fieldErrors).find(([p]) => p === k || p.startsWith(`${k}.`))?.[1];

  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={async (e) => {
        e.preventDefault();
        const f = new FormData(e.currentTarget);
        setBusy(true);
        setError(null);
        setFieldErrors({});
        const r = await action({
          name: String(f.get('name') ?? ''),
          ...(initial ? {} : { type: String(f.get('type') ?? 'confidential') }),
          redirectUris: String(f.get('redirectUris') ?? ''),
          postLogoutRedirectUris: String(f.get('postLogoutRedirectUris') ?? ''),
          backchannelLogoutUri: String(f.get('backchannelLogoutUri') ?? ''),
          initiateLoginUri: String(f.get('initiateLoginUri') ?? ''),
          restrictTenants: restrict,
          tenantIds: f.getAll('tenantIds').map(String),
        });
        setBusy(false);
        if (!r.ok) {
          setError(r.error);
          setFieldErrors(r.fieldErrors ?? {});
          return;
        }
        if (!initial) {
          setCreated(r.data as { clientId: string; clientSecret?: string });
          (e.target as HTMLFormElement).reset();
        } else toast('Application saved.');
        router.refresh();
      }}
    >
      <Field id="app-name" label="Name" error={fe('name')}>
        <Input name="name" defaultValue={initial?.name} placeholder="e.g. Acme web app" />
      </Field>
      {!initial && (
        <Field id="app-type" label="Type" hint="Confidential: a server that keeps a client secret. Public: a single-page or mobile app (PKCE, no secret).">
          <select name="type" className="h-9 rounded-md border border-border bg-white px-2 text-sm" defaultValue="confidential">
            <option value="confidential">Confidential (server-side)</option>
            <option value="public">Public (PKCE, no secret)</option>
          </select>
        </Field>
      )}
      <Field id="app-redirects" label="Redirect URIs" hint="One per line; https://, or http:// on localhost. Matched exactly." error={fe('redirectUris')}>
        <Textarea name="redirectUris" rows={3} defaultValue={initial?.redirectUris.join('\n')} placeholder="https://app.example.com/auth/callback" />
      </Field>
      <Field id="app-post-logout" label="Post-logout redirect URIs" hint="Optional; one per line." error={fe('postLogoutRedirectUris')}>
        <Textarea name="postLogoutRedirectUris" rows={2} defaultValue={initial?.postLogoutRedirectUris.join('\n')} />
      </Field>
      <Field id="app-backchannel" label="Back-channel logout URI" hint="Optional: the portal posts a signed logout token here when a user's session ends." error={fe('backchannelLogoutUri')}>
        <Input name="backchannelLogoutUri" defaultValue={initial?.backchannelLogoutUri ?? ''} placeholder="https://app.example.com/auth/backchannel-logout" />
      </Field>
      <Field id="app-initiate" label="Initiate login URI" hint="Optional: where the application starts a sign-in itself. Signed-in users then find it on the portal’s start page (after an IdP-initiated sign-in too), and open it signed in." error={fe('initiateLoginUri')}>
        <Input name="initiateLoginUri" defaultValue={initial?.initiateLoginUri ?? ''} placeholder="https://app.example.com/auth/login" />
      </Field>
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">Organisations</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={restrict} onChange={(e) => setRestrict(e.target.checked)} />
          Only users of the tenants below may sign in
        </label>
        {restrict && (
          <div className="grid max-h-48 gap-1 overflow-y-auto rounded-md border border-border p-2">
            {tenants.map((t) => (
              <label key={t.id} className="flex items-center gap-2 text-sm">
                <input type="checkbox" name="tenantIds" value={t.id} defaultChecked={initial?.tenantIds?.includes(t.id)} />
                {t.name} <span className="text-muted-foreground">({t.slug})</span>
              </label>
            ))}
          </div>
        )}
        {fe('tenantIds') && <p className="text-sm text-destructive">{fe('tenantIds')}</p>}
      </fieldset>
      <FormError error={error} />
      <div>
        <Button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </Button>
      </div>
      {created && (
        <div className="grid gap-2 text-sm">
          <p>
            Client ID: <code aria-label="Client ID" className="font-mono">{created.clientId}</code>
          </p>
          {created.clientSecret && <SecretOnce label="Client secret" value={created.clientSecret} kind="secret" title="Copy the client secret now" />}
        </div>
      )}
    </Form>
  );
}
