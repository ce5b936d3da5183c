'use client';
import { useState } from 'react';
import { Button } from '@/components/ui/button';

/** A secret (a bearer token, a signing secret) shown this once, with a copy button. */
export function SecretOnce({ label, value, kind, title }: { label: string; value: string; kind: 'token' | 'secret' | 'link'; title?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm">
      <p className="mb-2 font-medium">
        {title ?? (kind === 'token' ? 'Copy this token now' : kind === 'link' ? 'Copy this link now' : 'Copy the signing secret now')} — it will not be shown again.
      </p>
      <div className="flex items-center gap-2">
        <code aria-label={label} className="flex-1 break-all rounded bg-white px-2 py-1 font-mono text-xs">
          {value}
        </code>
        <Button
          variant="outline"
          size="sm"
          onClick={async () => {
            await navigator.clipboard?.writeText(value).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? 'Copied' : `Copy ${kind}`}
        </Button>
      </div>
    </div>
  );
}
