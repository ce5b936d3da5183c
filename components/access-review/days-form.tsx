'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import type { ActionResult } from '@/lib/actions';
import { useToast } from '@/components/ui/toast';
import { FormError } from '@/components/ui/form-error';
import { Form } from '@/components/ui/form';

/** What the form sends: a number of days as typed (the server parses it again), or '' for off. */
const formSchema = (allowOff: boolean) =>
  z.object({
    days: z
      .string()
      .trim()
      .refine((v) => (allowOff && v === '') || /^\d+$/.test(v), allowOff ? 'enter a whole number of days, or leave empty to turn it off' : 'enter a whole number of days')
      .refine((v) => v === '' || (Number(v) >= 1 && Number(v) <= 3650), 'must be from 1 to 3650 days'),
  });

/**
 * A "number of days" setting (inactivity policy, audit retention) with presets; `allowOff` lets
 * it be turned off (empty). Saved through a server action that validates again.
 */
export function DaysForm({
  id,
  label,
  hint,
  value,
  presets,
  allowOff = false,
  submitLabel = 'Save',
  action,
}: {
  id: string;
  label: string;
  hint?: React.ReactNode;
  value: number | null;
  presets: number[];
  allowOff?: boolean;
  submitLabel?: string;
  action: (days: number | null) => Promise<ActionResult<unknown>>;
}) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const toast = useToast();
  const form = useForm<{ days: string }>({ resolver: zodResolver(formSchema(allowOff)), defaultValues: { days: value == null ? '' : String(value) } });
  const { errors, isSubmitting } = form.formState;
  const submit = form.handleSubmit(async (v) => {
    setError(null);
    const r = await action(v.days === '' ? null : Number(v.days));
    if (!r.ok) {
      setError(r.error);
      const m = Object.values(r.fieldErrors ?? {})[0];
      if (m) form.setError('days', { message: m });
      return;
    }
    toast(`${label}: saved.`);
    router.refresh();
  });
  return (
    <Form noValidate onSubmit={submit} className="grid gap-3" aria-label={label}>
      <Field id={id} label={label} hint={hint} error={errors.days?.message}>
        <Input inputMode="numeric" className="max-w-40" placeholder={allowOff ? 'off' : undefined} {...form.register('days')} />
      </Field>
      <div className="flex flex-wrap items-center gap-2">
        {presets.map((p) => (
          <Button key={p} type="button" variant="outline" size="sm" onClick={() => form.setValue('days', String(p), { shouldValidate: true })}>
            {p} days
          </Button>
        ))}
        {allowOff && (
          <Button type="button" variant="ghost" size="sm" onClick={() => form.setValue('days', '', { shouldValidate: true })}>
            Off
          </Button>
        )}
      </div>
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={isSubmitting}>
          {isSubmitting ? 'Saving…' : submitLabel}
        </Button>
        <FormError error={error} />
      </div>
    </Form>
  );
}
