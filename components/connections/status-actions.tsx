'use client';
import { useRouter } from 'next/navigation';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { FormError } from '@/components/ui/form-error';

type SetStatus = (status: 'active' | 'draft', force: boolean) => Promise<ActionResult<unknown>>;

/**
 * Test and activate a connection. "Test sign-in" runs the real sign-in in this tab, marked as a
 * test (a same-origin POST, bound to this admin session). A tested connection activates at once;
 * an untested draft only after confirming "activate without testing".
 */
export function StatusActions({
  testUrl,
  status,
  setStatus,
  problems = [],
}: {
  testUrl: string;
  status: 'draft' | 'tested' | 'active';
  setStatus: SetStatus;
  /** What the last test found that would refuse real sign-ins: activation asks first. */
  problems?: string[];
}) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const run = (s: 'active' | 'draft', force: boolean) =>
    setStatus(s, force).then((r) => {
      if (!r.ok) return { error: r.error };
      router.refresh();
      return {};
    });
  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <form method="post" action={testUrl}>
          <Button type="submit" variant="outline">
            Test sign-in
          </Button>
        </form>
        {status === 'tested' && problems.length > 0 && (
          <ConfirmButton
            variant="default"
            title="Activate despite the problems?"
            description={`The last test passed with problems, so some people would be refused: ${problems.join(' ')} Fix them and test again unless you are sure.`}
            confirmLabel="Activate anyway" done="Connection activated."
            onConfirm={() => run('active', false)}
          >
            Activate…
          </ConfirmButton>
        )}
        {status === 'tested' && problems.length === 0 && (
          <Button
            disabled={pending}
            onClick={() =>
              start(async () => {
                const r = await run('active', false);
                setError(r.error ?? null);
              })
            }
          >
            {pending ? 'Activating…' : 'Activate'}
          </Button>
        )}
        {status === 'draft' && (
          <ConfirmButton
            variant="outline"
            title="Activate without testing?"
            description="This connection has not passed a test sign-in. If its settings are wrong, everyone signing in through it gets an error. Test it first unless you are sure."
            confirmLabel="Activate without testing" done="Connection activated."
            onConfirm={() => run('active', true)}
          >
            Activate without testing…
          </ConfirmButton>
        )}
        {status === 'active' && (
          <ConfirmButton
            variant="outline"
            title="Move back to draft?"
            description="Nobody can sign in through this connection until it is activated again. Tests keep working."
            confirmLabel="Move to draft" done="Connection moved back to draft."
            onConfirm={() => run('draft', false)}
          >
            Move back to draft…
          </ConfirmButton>
        )}
      </div>
      <FormError error={error} />
    </div>
  );
}
