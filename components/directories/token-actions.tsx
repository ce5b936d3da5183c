'use client';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { ActionResult } from '@/lib/actions';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { SecretOnce } from '@/components/ui/secret-once';

/** Rotate (new token shown once) and revoke the directory's bearer token, each behind a confirmation. */
export function TokenActions({
  name,
  tokenActive,
  rotate,
  revoke,
}: {
  name: string;
  tokenActive: boolean;
  rotate: () => Promise<ActionResult<string>>;
  revoke: () => Promise<{ error?: string }>;
}) {
  const router = useRouter();
  const [token, setToken] = useState<string | null>(null);
  return (
    <div className="grid gap-3">
      <div className="flex gap-2">
        <ConfirmButton
          variant="outline"
          size="sm"
          title={tokenActive ? `Rotate the token of “${name}”?` : `Make a new token for “${name}”?`}
          description={
            tokenActive
              ? 'A new token is made and shown once. The current token stops working at once: paste the new one into your identity provider right away.'
              : 'A new token is made and shown once; your identity provider can connect again with it.'
          }
          confirmLabel={tokenActive ? 'Rotate token' : 'Make token'}
          onConfirm={async () => {
            const r = await rotate();
            if (!r.ok) return { error: r.error };
            setToken(r.data ?? null);
            router.refresh();
          }}
        >
          {tokenActive ? 'Rotate token' : 'Make a new token'}
        </ConfirmButton>
        {tokenActive && (
          <ConfirmButton
            size="sm"
            title={`Revoke the token of “${name}”?`}
            description="Every SCIM request of this directory is refused from now on, until you make a new token. Users and groups already pushed stay as they are."
            confirmLabel="Revoke token" done="Token revoked."
            onConfirm={async () => {
              const r = await revoke();
              if (!r.error) {
                setToken(null);
                router.refresh();
              }
              return r;
            }}
          >
            Revoke token
          </ConfirmButton>
        )}
      </div>
      {token && <SecretOnce kind="token" label="New bearer token" value={token} />}
    </div>
  );
}
