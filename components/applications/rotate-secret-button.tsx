'use client';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { SecretOnce } from '@/components/ui/secret-once';

/** Makes a new client secret (after confirming: the old one stops at once) and shows it once. */
export function RotateSecretButton({ action }: { action: () => Promise<ActionResult<string>> }) {
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <div className="grid gap-3">
      <div>
        <ConfirmButton
          variant="outline"
          title="Rotate the client secret?"
          description="A new secret is made and shown once; the current one stops working at once, so update the application right after."
          confirmLabel="Rotate secret"
          onConfirm={async () => {
            const r = await action();
            if (!r.ok) return { error: r.error };
            setSecret(r.data ?? null);
          }}
        >
          Rotate secret…
        </ConfirmButton>
      </div>
      {secret && <SecretOnce label="Client secret" value={secret} kind="secret" title="Copy the new client secret now" />}
    </div>
  );
}
