'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { DIRECTORY_PROVIDERS, type DirectoryProvider } from '@/lib/validation/directories';
import { CopyValue } from '@/components/connections/copy-value';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import { PROVIDER_LABELS } from './providers';
import { SecretOnce } from '@/components/ui/secret-once';
import { Form } from '@/components/ui/form';

type Created = { id: string; name: string; scimUrl: string; bearerToken: string };

/** Creates a directory, then shows its SCIM base URL and its bearer token (once). */
export function CreateDirectoryForm({ slug, action }: { slug: string; action: (input: unknown) => Promise<ActionResult<Created>> }) {
  const router = useRouter();
  const [name, setName] = useState('');
  const [provider, setProvider] = useState<DirectoryProvider>('okta');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [pending, setPending] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);

  return (
    <div className="grid gap-4">
      <Form
        noValidate
        className="grid gap-3 md:grid-cols-[1fr_16rem_auto] md:items-end"
        onSubmit={async (e) => {
          e.preventDefault();
          setPending(true);
          setErrors({});
          const r = await action({ name, provider });
          setPending(false);
          if (!r.ok) return setErrors({ ...(r.fieldErrors ?? {}), form: r.error });
          setCreated(r.data ?? null);
          setName('');
          router.refresh();
        }}
      >
        <Field id="directory-name" label="Directory name" error={errors.name}>
          <Input placeholder="e.g. Okta production" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field id="directory-provider" label="Identity provider" error={errors.provider}>
          <select
            className="flex h-9 w-full rounded-md border border-border bg-white px-3 py-1 text-sm shadow-sm"
            value={provider}
            onChange={(e) => setProvider(e.target.value as DirectoryProvider)}
          >
            {DIRECTORY_PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {PROVIDER_LABELS[p]}
              </option>
            ))}
          </select>
        </Field>
        <Button type="submit" disabled={pending}>
          {pending ? 'Creating…' : 'Create directory'}
        </Button>
      </Form>
      {errors.form && !errors.name && (
        <p role="alert" className="text-sm text-destructive">
          {errors.form}
        </p>
      )}
      {created && (
        <div className="grid gap-3 rounded-lg border border-border p-4" aria-label="New directory">
          <p className="text-sm font-medium">Directory “{created.name}” created. Paste these into your identity provider:</p>
          <CopyValue label="SCIM base URL" value={created.scimUrl} />
          <SecretOnce kind="token" label="Bearer token" value={created.bearerToken} />
          <Link className="text-sm text-primary underline-offset-4 hover:underline" href={`/t/${slug}/directories/${created.id}`}>
            Continue to the set-up steps →
          </Link>
        </div>
      )}
    </div>
  );
}
