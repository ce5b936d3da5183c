'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import type { MetadataStatus } from '@/lib/validation/certificates';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';

type Diff = NonNullable<NonNullable<MetadataStatus['pending']>['diff']>;

/** The difference between the metadata in use and the one fetched, as the admin reviews it. */
export function MetadataDiffView({ diff }: { diff: Diff }) {
  return (
    <dl aria-label="Metadata changes" className="grid gap-3 text-sm">
      {diff.entityId && (
        <div>
          <dt className="font-medium">Entity ID</dt>
          <dd className="break-all font-mono text-xs">
            <del className="text-destructive">{diff.entityId.before}</del> → <ins className="text-emerald-700">{diff.entityId.after}</ins>
          </dd>
        </div>
      )}
      {diff.ssoUrl && (
        <div>
          <dt className="font-medium">SSO URL</dt>
          <dd className="break-all font-mono text-xs">
            <del className="text-destructive">{diff.ssoUrl.before}</del> → <ins className="text-emerald-700">{diff.ssoUrl.after}</ins>
          </dd>
        </div>
      )}
      {diff.certificates && (
        <div>
          <dt className="font-medium">Signing certificates</dt>
          <dd>
            <ul className="grid gap-1 text-xs">
              {diff.certificates.added.map((c) => (
                <li key={`+${c.fingerprintSha256}`} className="text-emerald-700">
                  Added: {c.subject ?? ''} <span className="font-mono">{c.fingerprintSha256}</span> (valid until {c.notAfter.slice(0, 10)})
                </li>
              ))}
              {diff.certificates.removed.map((c) => (
                <li key={`-${c.fingerprintSha256}`} className="text-destructive">
                  Removed: {c.subject ?? ''} <span className="font-mono">{c.fingerprintSha256}</span> (valid until {c.notAfter.slice(0, 10)})
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
    </dl>
  );
}

/**
 * Scheduled metadata refresh of a connection created from a metadata URL: when it was last read,
 * "check now", and a pending change with its diff to approve or reject.
 */
export function MetadataRefreshPanel({
  status,
  refresh,
  approve,
  reject,
}: {
  status: MetadataStatus;
  refresh: () => Promise<ActionResult<unknown>>;
  approve: () => Promise<{ error?: string }>;
  reject: () => Promise<{ error?: string }>;
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const run = (fn: () => Promise<{ ok?: boolean; error?: string }>, done: string) =>
    start(async () => {
      const r = await fn();
      setMessage(r.error ? { error: true, text: r.error } : { error: false, text: done });
      router.refresh();
    });
  return (
    <div className="grid gap-4">
      <p className="text-sm text-muted-foreground">
        Re-read every 6 hours from <span className="break-all font-mono text-xs">{status.metadataUrl}</span>; last checked{' '}
        {status.checkedAt ? new Date(status.checkedAt).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'never'}. Changes are
        never applied without your approval.
      </p>
      {status.pending ? (
        <div className="grid gap-3 rounded-md border border-amber-300 bg-amber-50/50 p-4">
          <p role="status" className="text-sm font-medium">
            The identity provider’s metadata changed (fetched {status.pending.fetchedAt.replace('T', ' ').slice(0, 16)} UTC).
          </p>
          {status.pending.diff && <MetadataDiffView diff={status.pending.diff} />}
          <div className="flex flex-wrap gap-2">
            <ConfirmButton
              variant="default"
              size="sm"
              title="Apply the new metadata?"
              description="Sign-in will use the new entity ID, SSO URL and signing certificates shown, at once."
              confirmLabel="Approve and apply" done="Metadata change applied."
              onConfirm={async () => {
                const r = await approve();
                if (!r.error) router.refresh();
                return r;
              }}
            >
              Approve changes
            </ConfirmButton>
            <Button size="sm" variant="outline" disabled={pending} onClick={() => run(reject, 'The change was rejected.')}>
              Reject changes
            </Button>
          </div>
        </div>
      ) : (
        <p className="text-sm">No change is waiting for approval.</p>
      )}
      <div className="flex items-center gap-2">
        <Button
          size="sm"
          variant="outline"
          disabled={pending}
          onClick={() =>
            run(async () => {
              const r = await refresh();
              return r.ok ? {} : { error: r.error };
            }, 'Checked.')
          }
        >
          {pending ? 'Checking…' : 'Check metadata now'}
        </Button>
        {message && (
          <span role={message.error ? 'alert' : 'status'} className={message.error ? 'text-xs text-destructive' : 'text-xs text-muted-foreground'}>
            {message.text}
          </span>
        )}
      </div>
    </div>
  );
}
