'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { oidcConnectionSchema } from '@/lib/validation/connections';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = { type: 'oidc'; discoveryUrl: string; clientId: string; clientSecret: string };

/** Add an OpenID Connect connection; the client secret is stored encrypted and never shown again. */
export function OidcConnectionForm({
  create,
  onCreated,
}: {
  create: (input: unknown) => Promise<ActionResult<string>>;
  /** Where to go once saved (e.g. the new connection's page); default: refresh this page. */
  onCreated?: (id: string) => void;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const form = useForm<Values>({
    resolver: zodResolver(oidcConnectionSchema) as never,
    defaultValues: { type: 'oidc', discoveryUrl: '', clientId: '', clientSecret: '' },
  });
  const { errors, isSubmitting } = form.formState;
  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={form.handleSubmit(async (v) => {
        setError(null);
        const r = await create(v);
        if (!r.ok) {
          setError(r.error);
          for (const [k, m] of Object.entries(r.fieldErrors ?? {})) form.setError(k as keyof Values, { message: m });
          return;
        }
        form.reset();
        if (onCreated && r.data) onCreated(r.data);
        else router.refresh();
      })}
    >
      <Field id="oidc-discovery" label="Discovery URL" hint="Ends in /.well-known/openid-configuration." error={errors.discoveryUrl?.message}>
        <Input placeholder="https://login.example.com/.well-known/openid-configuration" {...form.register('discoveryUrl')} />
      </Field>
      <Field id="oidc-client-id" label="Client ID" error={errors.clientId?.message}>
        <Input autoComplete="off" {...form.register('clientId')} />
      </Field>
      <Field id="oidc-client-secret" label="Client secret" hint="Stored encrypted; it is never shown again." error={errors.clientSecret?.message}>
        <Input type="password" autoComplete="off" {...form.register('clientSecret')} />
      </Field>
      <FormError error={error} />
      <div className="flex justify-end">
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Checking…' : 'Save OIDC connection'}
        </Button>
      </div>
    </Form>
  );
}
