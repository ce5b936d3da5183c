'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { provisioningFormSchema } from '@/lib/validation/forms';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Textarea } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = { strategy: 'jit' | 'scim' | 'self_registration'; defaultRole: string; allowedDomains: string };

const STRATEGIES = [
  { value: 'jit', label: 'Just-in-time', hint: 'An account is created at a person’s first SSO sign-in.' },
  { value: 'scim', label: 'SCIM pre-provisioning', hint: 'Only people your directory pushed by SCIM can sign in.' },
  { value: 'self_registration', label: 'Self-registration', hint: 'People whose email domain is allowed below create their account.' },
] as const;

export function ProvisioningForm({
  initial,
  roles,
  action,
}: {
  initial: { strategy: Values['strategy']; defaultRole: string | null; allowedDomains: string[] };
  roles: string[];
  action: (input: unknown) => Promise<ActionResult<unknown>>;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const form = useForm<Values>({
    resolver: zodResolver(provisioningFormSchema, undefined, { raw: true }) as never,
    defaultValues: { strategy: initial.strategy, defaultRole: initial.defaultRole ?? '', allowedDomains: initial.allowedDomains.join('\n') },
  });
  const { errors, isSubmitting } = form.formState;
  return (
    <Form
      noValidate
      className="grid gap-5"
      onSubmit={form.handleSubmit(async (v) => {
        setError(null);
        const r = await action(v);
        if (!r.ok) {
          setError(r.error);
          for (const [k, m] of Object.entries(r.fieldErrors ?? {})) form.setError(k.split('.')[0] as keyof Values, { message: m });
          return;
        }
        toast('Provisioning saved.');
        router.refresh();
      })}
    >
      <fieldset className="grid gap-2">
        <legend className="mb-1 text-sm font-medium">Strategy</legend>
        {STRATEGIES.map((s) => (
          <label key={s.value} className="flex items-start gap-2 rounded-md border border-border p-3 text-sm">
            <input type="radio" value={s.value} {...form.register('strategy')} className="mt-1" />
            <span>
              <span className="font-medium">{s.label}</span>
              <span className="block text-muted-foreground">{s.hint}</span>
            </span>
          </label>
        ))}
      </fieldset>
      <Field id="default-role" label="Default role" hint="Given when no role mapping rule matches." error={errors.defaultRole?.message}>
        <select className="h-9 rounded-md border border-border bg-white px-2 text-sm" {...form.register('defaultRole')}>
          <option value="">No role</option>
          {roles.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </Field>
      <Field
        id="allowed-domains"
        label="Allowed domains"
        hint="Also accepted at sign-in besides the organisation’s own domains; for self-registration, the domains that may create accounts. One per line."
        error={errors.allowedDomains?.message}
      >
        <Textarea rows={3} {...form.register('allowedDomains')} />
      </Field>
      <FormError error={error} />
      <div className="flex justify-end">
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : 'Save provisioning'}
        </Button>
      </div>
    </Form>
  );
}
