'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { tenantEditFormSchema, tenantFormSchema } from '@/lib/validation/forms';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

type Values = { name: string; slug?: string; domains: string; roles?: string };

/** Create (with slug) or edit (name and domains) a tenant. Server errors land on their fields. */
export function TenantForm({
  mode,
  initial,
  action,
  onDone,
}: {
  mode: 'create' | 'edit';
  initial?: { name: string; domains: string[]; roles?: string[] };
  action: (input: unknown) => Promise<ActionResult<unknown>>;
  onDone?: (data: unknown) => void;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const form = useForm<Values>({
    // The resolver validates with the same schema as the server action; the server's answer still wins.
    resolver: (mode === 'create'
      ? zodResolver(tenantFormSchema, undefined, { raw: true })
      : zodResolver(tenantEditFormSchema, undefined, { raw: true })) as never,
    defaultValues: { name: initial?.name ?? '', slug: '', domains: initial?.domains.join('\n') ?? '', roles: initial?.roles?.join(', ') ?? '' },
  });
  const { errors, isSubmitting } = form.formState;

  return (
    <Form
      noValidate
      className="grid gap-4"
      onSubmit={form.handleSubmit(async (values) => {
        setError(null);
        const r = await action(values);
        if (!r.ok) {
          setError(r.error);
          for (const [k, m] of Object.entries(r.fieldErrors ?? {})) {
            const field = k.split('.')[0] as keyof Values;
            form.setError(field, { message: k.includes('.') ? `${m}` : m });
          }
          return;
        }
        toast(mode === 'edit' ? 'Tenant saved.' : 'Tenant created.');
        onDone?.(r.data);
        router.refresh();
      })}
    >
      <Field id={`${mode}-name`} label="Name" error={errors.name?.message}>
        <Input {...form.register('name')} />
      </Field>
      {mode === 'create' && (
        <Field id="create-slug" label="Slug (optional)" hint="Used in URLs; made from the name when empty." error={errors.slug?.message}>
          <Input {...form.register('slug')} placeholder="acme" />
        </Field>
      )}
      <Field
        id={`${mode}-domains`}
        label="Email domains"
        hint="One per line, such as acme.com. Users with these email domains sign in through this tenant."
        error={errors.domains?.message}
      >
        <Textarea rows={3} {...form.register('domains')} />
      </Field>
      {mode === 'edit' && (
        <Field
          id="edit-roles"
          label="Roles"
          hint="The roles role mappings can give, separated by commas. A role in use by a mapping rule or as the default role cannot be removed."
          error={errors.roles?.message}
        >
          <Input {...form.register('roles')} />
        </Field>
      )}
      <FormError error={error} shown={[errors.name?.message, errors.slug?.message, errors.domains?.message, errors.roles?.message]} />
      <div className="flex justify-end">
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : mode === 'create' ? 'Create tenant' : 'Save changes'}
        </Button>
      </div>
    </Form>
  );
}
