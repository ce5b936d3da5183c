'use client';
import { zodResolver } from '@hookform/resolvers/zod';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import type { ActionResult } from '@/lib/actions';
import { apiKeyFormSchema } from '@/lib/validation/forms';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { Form } from '@/components/ui/form';

/** Creates a key and shows it once. */
export function CreateKeyForm({ action }: { action: (input: unknown) => Promise<ActionResult<string>> }) {
  const router = useRouter();
  const [key, setKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const form = useForm<{ name: string }>({ resolver: zodResolver(apiKeyFormSchema), defaultValues: { name: '' } });

  return (
    <div className="grid gap-4">
      <Form
        noValidate
        className="flex items-end gap-2"
        onSubmit={form.handleSubmit(async (v) => {
          setError(null);
          const r = await action(v);
          if (!r.ok) return setError(r.fieldErrors?.name ?? r.error);
          setKey(r.data ?? null);
          setCopied(false);
          form.reset();
          router.refresh();
        })}
      >
        <div className="flex-1">
          <Field id="key-name" label="Key name" error={form.formState.errors.name?.message ?? error ?? undefined}>
            <Input placeholder="e.g. billing service" {...form.register('name')} />
          </Field>
        </div>
        <Button type="submit" disabled={form.formState.isSubmitting}>
          Create key
        </Button>
      </Form>
      {key && (
        <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
          <p className="mb-2 font-medium">Copy this key now — it will not be shown again.</p>
          <div className="flex items-center gap-2">
            <code aria-label="New API key" className="flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs">
              {key}
            </code>
            <Button
              variant="outline"
              size="sm"
              onClick={async () => {
                await navigator.clipboard?.writeText(key).catch(() => {});
                setCopied(true);
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </div>
        </div>
      )}
    </div>
  );
}
