'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { GUIDES, PROVIDERS, type ProviderId, type SpValues } from '@/lib/sso/connections/guides';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { IdpGuide } from './guide';
import { OidcConnectionForm } from './oidc-connection-form';
import { SamlConnectionForm } from './saml-connection-form';
import { useToast } from '@/components/ui/toast';

type Preview = { entityId: string; ssoUrl: string; certificates: { fingerprintSha256: string; notAfter: string; subject: string }[] };

/**
 * The "new connection" page: pick the identity provider, follow its guide with this portal's
 * values, then give the portal the IdP's metadata (or OIDC client). The connection is created
 * as a draft and opens on its own page, where it is tested and activated.
 */
export function GuidePicker({
  slug,
  values,
  initial,
  preview,
  create,
}: {
  slug: string;
  values: SpValues;
  initial: ProviderId;
  preview: (input: unknown) => Promise<ActionResult<Preview>>;
  create: (provider: ProviderId, input: unknown) => Promise<ActionResult<string>>;
}) {
  const router = useRouter();
  const [provider, setProvider] = useState<ProviderId>(initial);
  const guide = GUIDES[provider];
  const toast = useToast();
  const onCreated = (id: string) => {
    toast('Connection created as a draft: test it, then activate it.');
    router.push(`/t/${slug}/connections/${id}`);
  };
  return (
    <div className="grid gap-6">
      <fieldset className="grid gap-2">
        <legend className="mb-2 text-sm font-medium">Identity provider</legend>
        <div role="radiogroup" aria-label="Identity provider" className="grid grid-cols-2 gap-2 sm:grid-cols-3">
          {PROVIDERS.map((p) => (
            <label
              key={p}
              className={`flex cursor-pointer items-center gap-2 rounded-md border px-3 py-2 text-sm ${p === provider ? 'border-primary bg-muted' : 'border-border bg-white'}`}
            >
              <input type="radio" name="provider" value={p} checked={p === provider} onChange={() => setProvider(p)} />
              {GUIDES[p].name}
            </label>
          ))}
        </div>
      </fieldset>
      <Card>
        <CardHeader>
          <CardTitle>1. Set up {guide.name}</CardTitle>
        </CardHeader>
        <CardContent>
          <IdpGuide guide={guide} values={values} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>2. {guide.protocol === 'oidc' ? 'Give the portal the client' : 'Give the portal the IdP metadata'}</CardTitle>
          <CardDescription>
            The connection is saved as a draft: nobody can sign in through it until you test it and activate it.
          </CardDescription>
        </CardHeader>
        <CardContent>
          {guide.protocol === 'oidc' ? (
            <OidcConnectionForm key={provider} create={(input) => create(provider, input)} onCreated={onCreated} />
          ) : (
            <SamlConnectionForm key={provider} preview={preview} create={(input) => create(provider, input)} onCreated={onCreated} />
          )}
        </CardContent>
      </Card>
    </div>
  );
}
