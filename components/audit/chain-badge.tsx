import { Badge } from '@/components/ui/badge';
import { verifyTenantChainCached } from '@/lib/audit/verify';

/** Checks a hash chain (server side) and says whether it is intact. Render it inside <Suspense>. */
export async function ChainBadge({ chainKey, label = 'Chain' }: { chainKey: string; label?: string }) {
  const r = await verifyTenantChainCached(chainKey).catch(() => null);
  if (!r) return <Badge tone="warn">{label}: could not be checked</Badge>;
  if (r.intact) {
    return (
      <Badge tone="good" title="Every event's hash covers its content and the event before it">
        {label} intact · {r.checked} events checked
      </Badge>
    );
  }
  return (
    <span className="inline-flex flex-wrap items-center gap-2">
      <Badge tone="bad">
        {label} broken {r.firstBrokenId ? `at ${r.firstBrokenId}` : 'at its end'}
      </Badge>
      {r.reason && <span className="text-xs text-red-700">{r.reason}</span>}
    </span>
  );
}

export function ChainBadgePending() {
  return <Badge>Checking the hash chain…</Badge>;
}
