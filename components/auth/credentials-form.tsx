'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useState } from 'react';
import { useForm, type FieldValues } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { setupSchema, signInSchema } from '@/lib/validation/auth';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

/** Email + password form used by operator sign-in and first-run setup. */
export function CredentialsForm({
  action,
  submitLabel,
  confirm,
  setupToken,
}: {
  action: (input: unknown) => Promise<ActionResult>;
  submitLabel: string;
  /** First-run setup: asks for the password twice and applies the password rules. */
  confirm?: boolean;
  /** First-run setup: the token from the setup link, if it carried one. */
  setupToken?: string;
}) {
  const [error, setError] = useState<string | null>(null);
  const form = useForm<FieldValues>({
    resolver: zodResolver(confirm ? setupSchema : signInSchema) as never,
    defaultValues: confirm ? { token: setupToken ?? '' } : {},
  });
  const { errors, isSubmitting } = form.formState;
  const msg = (k: string) => errors[k]?.message as string | undefined;

  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={form.handleSubmit(async (values) => {
        setError(null);
        const r = await action(values);
        if (r && !r.ok) {
          setError(r.error);
          for (const [k, m] of Object.entries(r.fieldErrors ?? {})) form.setError(k, { message: m });
        }
      })}
    >
      {confirm && (
        <Field id="token" label="Setup token" error={msg('token')} hint="Printed when the portal started; also in the file setup-token in its data directory.">
          <Input autoComplete="off" spellCheck={false} {...form.register('token')} />
        </Field>
      )}
      <Field id="email" label="Email" error={msg('email')}>
        <Input type="email" autoComplete="email" {...form.register('email')} />
      </Field>
      <Field id="password" label="Password" error={msg('password')} hint={confirm ? 'At least 12 characters.' : undefined}>
        <Input type="password" autoComplete={confirm ? 'new-password' : 'current-password'} {...form.register('password')} />
      </Field>
      {confirm && (
        <Field id="confirm" label="Confirm password" error={msg('confirm')}>
          <Input type="password" autoComplete="new-password" {...form.register('confirm')} />
        </Field>
      )}
      <FormError error={error} />
      <Button type="submit" disabled={isSubmitting}>
        {isSubmitting ? 'Please wait…' : submitLabel}
      </Button>
    </Form>
  );
}
