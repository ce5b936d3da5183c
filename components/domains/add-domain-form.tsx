'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import type { ActionResult } from '@/lib/actions';
import { domainSchema } from '@/lib/validation/common';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

const schema = z.object({ domain: z.string().trim().toLowerCase().pipe(domainSchema) });
type Values = { domain: string };

/** Adds one email domain; an admin's domain is used for sign-in once its TXT record is verified. */
export function AddDomainForm({ action, needsVerification }: { action: (input: unknown) => Promise<ActionResult<unknown>>; needsVerification: boolean }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const form = useForm<Values>({ resolver: zodResolver(schema, undefined, { raw: true }) as never, defaultValues: { domain: '' } });
  const { errors, isSubmitting } = form.formState;
  return (
    <Form
      noValidate
      className="grid gap-3"
      onSubmit={form.handleSubmit(async (v) => {
        setError(null);
        const r = await action(v);
        if (!r.ok) {
          setError(r.fieldErrors?.domain ? null : r.error);
          if (r.fieldErrors?.domain) form.setError('domain', { message: r.fieldErrors.domain });
          return;
        }
        form.reset();
        router.refresh();
      })}
    >
      <Field
        id="new-domain"
        label="Email domain"
        hint={
          needsVerification
            ? 'For example example.com. It is used for sign-in once you publish its DNS TXT record and it is verified.'
            : 'For example example.com. Added by the operator, it is trusted for sign-in at once.'
        }
        error={errors.domain?.message}
      >
        <Input autoComplete="off" placeholder="example.com" {...form.register('domain')} />
      </Field>
      <FormError error={error} />
      <div>
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Adding…' : 'Add domain'}
        </Button>
      </div>
    </Form>
  );
}
