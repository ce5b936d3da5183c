import Link from 'next/link';
import { Badge } from '@/components/ui/badge';
import { EmptyState } from '@/components/ui/empty-state';
import { Table, TBody, Td, Th, THead, Tr } from '@/components/ui/table';
import type { WebhookView } from '@/lib/webhooks/validation';
import { healthOf, KIND_LABELS, utc } from './labels';

/** The endpoints with their health; each links to its page (delivery log, test, enable, delete). */
export function WebhookList({ webhooks, base }: { webhooks: WebhookView[]; base: string }) {
  if (!webhooks.length) return <EmptyState>No endpoint yet. Add one below: a SIEM audit stream gets every audit event, a change webhook the events you choose.</EmptyState>;
  return (
    <Table aria-label="Webhook endpoints">
      <THead>
        <Tr>
          <Th>Endpoint</Th>
          <Th>Kind</Th>
          <Th>Events</Th>
          <Th>Health</Th>
          <Th>Last delivered</Th>
        </Tr>
      </THead>
      <TBody>
        {webhooks.map((w) => {
          const h = healthOf(w);
          return (
            <Tr key={w.id}>
              <Td className="max-w-md">
                <Link className="break-all font-medium text-primary underline-offset-4 hover:underline" href={`${base}/${w.id}`}>
                  {w.url}
                </Link>
                {w.description && <p className="text-xs text-muted-foreground">{w.description}</p>}
              </Td>
              <Td className="whitespace-nowrap">{KIND_LABELS[w.kind]}</Td>
              <Td>
                <code className="font-mono text-xs">{w.events.join(', ')}</code>
              </Td>
              <Td>
                <Badge tone={h.tone}>{h.label}</Badge>
                {w.enabled && w.health.lastError && <p className="mt-1 max-w-xs truncate text-xs text-destructive" title={w.health.lastError}>{w.health.lastError}</p>}
              </Td>
              <Td className="whitespace-nowrap text-muted-foreground">{utc(w.health.lastDeliveredAt)}</Td>
            </Tr>
          );
        })}
      </TBody>
    </Table>
  );
}
