'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import type { DeliveryView } from '@/lib/webhooks/validation';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { SecretOnce } from '@/components/ui/secret-once';
import { FormError } from '@/components/ui/form-error';

/** Send a test event, enable/disable, rotate the secret, delete (the last two behind a confirmation). */
export function EndpointActions({
  url,
  enabled,
  listHref,
  sendTest,
  setEnabled,
  rotate,
  remove,
}: {
  url: string;
  enabled: boolean;
  listHref: string;
  sendTest: () => Promise<ActionResult<DeliveryView>>;
  setEnabled: (enabled: boolean) => Promise<ActionResult>;
  rotate: () => Promise<ActionResult<string>>;
  remove: () => Promise<{ error?: string }>;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [toggling, startToggle] = useTransition();
  const [test, setTest] = useState<DeliveryView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);

  return (
    <div className="grid gap-3">
      <div className="flex flex-wrap gap-2">
        <Button
          size="sm"
          disabled={pending}
          onClick={() =>
            start(async () => {
              setError(null);
              setTest(null);
              const r = await sendTest();
              if (!r.ok) return setError(r.error);
              setTest(r.data ?? null);
              router.refresh();
            })
          }
        >
          {pending ? 'Sending…' : 'Send test event'}
        </Button>
        <Button
          size="sm"
          variant="outline"
          disabled={toggling}
          onClick={() =>
            startToggle(async () => {
              setError(null);
              const r = await setEnabled(!enabled);
              if (!r.ok) return setError(r.error);
              router.refresh();
            })
          }
        >
          {toggling ? 'Saving…' : enabled ? 'Disable' : 'Enable'}
        </Button>
        <ConfirmButton
          variant="outline"
          size="sm"
          title="Rotate the signing secret?"
          description="A new secret is made and shown once. Deliveries are signed with it from now on: update your receiver right away."
          confirmLabel="Rotate secret"
          onConfirm={async () => {
            const r = await rotate();
            if (!r.ok) return { error: r.error };
            setSecret(r.data ?? null);
            router.refresh();
          }}
        >
          Rotate secret
        </ConfirmButton>
        <ConfirmButton
          size="sm"
          title="Delete this endpoint?"
          description={`${url} receives no more events, and its delivery log is deleted. This cannot be undone.`}
          confirmLabel="Delete endpoint" done="Endpoint deleted."
          onConfirm={async () => {
            const r = await remove();
            if (!r.error) router.push(listHref);
            return r;
          }}
        >
          Delete
        </ConfirmButton>
      </div>
      {pending && <p className="text-sm text-muted-foreground" role="status">Sending a signed webhook.test event…</p>}
      {test && (
        <p role="status" className="text-sm">
          Test event {test.status === 'delivered' ? <Badge tone="good">delivered</Badge> : <Badge tone="bad">failed</Badge>}{' '}
          {test.httpStatus !== null && <>HTTP {test.httpStatus} · </>}
          {test.durationMs} ms{test.error && <span className="text-destructive"> · {test.error}</span>}
        </p>
      )}
      <FormError error={error} />
      {secret && <SecretOnce kind="secret" value={secret} label="New signing secret" />}
    </div>
  );
}
