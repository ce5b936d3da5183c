'use client';
import { useState, useTransition } from 'react';
import type { ActionResult } from '@/lib/actions';
import { Button } from '@/components/ui/button';

export function VerifyDomainButton({ domain, action }: { domain: string; action: () => Promise<ActionResult<boolean>> }) {
  const [pending, start] = useTransition();
  const [message, setMessage] = useState<string | null>(null);
  return (
    <div className="flex items-center gap-2">
      <Button
        size="sm"
        variant="outline"
        disabled={pending}
        aria-label={`Check now: ${domain}`}
        onClick={() =>
          start(async () => {
            const r = await action();
            setMessage(!r.ok ? r.error : r.data ? 'Verified.' : 'The TXT record was not found yet; DNS changes can take a while.');
          })
        }
      >
        {pending ? 'Checking…' : 'Check now'}
      </Button>
      {message && <span role="status" className="text-xs text-muted-foreground">{message}</span>}
    </div>
  );
}
