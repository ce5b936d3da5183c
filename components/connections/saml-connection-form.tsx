'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input, Textarea } from '@/components/ui/input';
import { FormError } from '@/components/ui/form-error';

type Preview = { entityId: string; ssoUrl: string; certificates: { fingerprintSha256: string; notAfter: string; subject: string }[] };

/**
 * Add a SAML connection: paste or upload the IdP's metadata (or give its URL), check what was
 * read (entity ID, SSO URL, certificates), then save.
 */
export function SamlConnectionForm({
  preview,
  create,
  onCreated,
}: {
  preview: (input: unknown) => Promise<ActionResult<Preview>>;
  create: (input: unknown) => Promise<ActionResult<string>>;
  /** Where to go once saved (e.g. the new connection's page); default: refresh this page. */
  onCreated?: (id: string) => void;
}) {
  const router = useRouter();
  const [xml, setXml] = useState('');
  const [url, setUrl] = useState('');
  const [allowIdp, setAllowIdp] = useState(false);
  const [parsed, setParsed] = useState<Preview | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const source = () => (xml.trim() ? { metadataXml: xml } : url.trim() ? { metadataUrl: url.trim() } : {});

  const onResult = <T,>(r: ActionResult<T>, ok: (d: T) => void) => {
    if (r.ok) {
      setErrors({});
      setError(null);
      ok(r.data as T);
    } else {
      setErrors(r.fieldErrors ?? {});
      setError(r.error);
    }
  };

  return (
    <div className="grid gap-4">
      <Field id="metadata-xml" label="IdP metadata XML" hint="Paste the metadata, or choose the file below." error={errors.metadataXml}>
        <Textarea rows={6} className="font-mono text-xs" value={xml} onChange={(e) => { setXml(e.target.value); setParsed(null); }} />
      </Field>
      <Field id="metadata-file" label="Metadata file">
        <Input
          type="file"
          accept=".xml,application/xml,text/xml,application/samlmetadata+xml"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (f) {
              setXml(await f.text());
              setParsed(null);
            }
          }}
        />
      </Field>
      <Field id="metadata-url" label="…or metadata URL" hint="An https:// address the portal fetches the metadata from." error={errors.metadataUrl}>
        <Input value={url} onChange={(e) => { setUrl(e.target.value); setParsed(null); }} placeholder="https://idp.example.com/metadata" />
      </Field>
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" checked={allowIdp} onChange={(e) => setAllowIdp(e.target.checked)} />
        Allow sign-in started at the identity provider (IdP-initiated)
      </label>
      <FormError error={error} shown={[errors.metadataXml, errors.metadataUrl]} />
      {parsed && (
        <dl aria-label="Metadata read" className="grid grid-cols-[9rem_1fr] gap-y-1 rounded-md border border-border bg-muted/40 p-3 text-sm">
          <dt className="text-muted-foreground">Entity ID</dt>
          <dd className="break-all font-mono text-xs">{parsed.entityId}</dd>
          <dt className="text-muted-foreground">SSO URL</dt>
          <dd className="break-all font-mono text-xs">{parsed.ssoUrl}</dd>
          {parsed.certificates.map((c) => (
            <div key={c.fingerprintSha256} className="contents">
              <dt className="text-muted-foreground">Certificate</dt>
              <dd className="break-all font-mono text-xs">
                SHA-256 {c.fingerprintSha256} · expires {c.notAfter.slice(0, 10)}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <div className="flex justify-end gap-2">
        <Button variant="outline" disabled={pending} onClick={() => start(async () => onResult(await preview(source()), setParsed))}>
          Check metadata
        </Button>
        <Button
          disabled={pending || !parsed}
          onClick={() =>
            start(async () =>
              onResult(await create({ type: 'saml', ...source(), allowIdpInitiated: allowIdp }), (id) => {
                setXml('');
                setUrl('');
                setParsed(null);
                if (onCreated && id) onCreated(id);
                else router.refresh();
              }),
            )
          }
        >
          {pending ? 'Working…' : 'Save connection'}
        </Button>
      </div>
    </div>
  );
}
