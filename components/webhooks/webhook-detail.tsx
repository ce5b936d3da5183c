import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { EmptyState } from '@/components/ui/empty-state';
import { Pager } from '@/components/ui/pager';
import type { ActionResult } from '@/lib/actions';
import type { DeliveryView, WebhookView } from '@/lib/webhooks/validation';
import { DeliveryTable } from './delivery-table';
import { EndpointActions } from './endpoint-actions';
import { healthOf, KIND_LABELS, utc } from './labels';
import { VerifyHelp } from './verify-help';
import { WebhookForm } from './webhook-form';

/** One endpoint: health, actions and its delivery log (shared by the tenant and operator consoles). */
export function WebhookDetail({
  webhook,
  deliveries,
  base,
  actions,
}: {
  webhook: WebhookView;
  deliveries: { data: DeliveryView[]; nextCursor: string | null; first: boolean };
  base: string;
  actions: {
    sendTest: () => Promise<ActionResult<DeliveryView>>;
    update: (input: unknown) => Promise<ActionResult<void>>;
    setEnabled: (enabled: boolean) => Promise<ActionResult>;
    rotate: () => Promise<ActionResult<string>>;
    remove: () => Promise<{ error?: string }>;
    resend: (deliveryId: string) => Promise<ActionResult<DeliveryView>>;
  };
}) {
  const h = healthOf(webhook);
  const self = `${base}/${webhook.id}`;
  return (
    <div className="grid max-w-6xl gap-6">
      <Card>
        <CardHeader>
          <CardTitle className="break-all">{webhook.url}</CardTitle>
          <CardDescription>
            {KIND_LABELS[webhook.kind]} · events <code>{webhook.events.join(', ')}</code>
            {webhook.description ? ` · ${webhook.description}` : ''}
          </CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-4" aria-label="Health">
            <div>
              <dt className="text-xs text-muted-foreground">Health</dt>
              <dd>
                <Badge tone={h.tone}>{h.label}</Badge>
              </dd>
            </div>
            <div>
              <dt className="text-xs text-muted-foreground">Last delivered</dt>
              <dd>{utc(webhook.health.lastDeliveredAt)}</dd>
            </div>
            <div>
              <dt className="text-xs text-muted-foreground">Next retry</dt>
              <dd>{utc(webhook.health.nextAttemptAt)}</dd>
            </div>
            <div>
              <dt className="text-xs text-muted-foreground">Last error</dt>
              <dd className="break-words text-destructive">{webhook.health.lastError ?? <span className="text-muted-foreground">—</span>}</dd>
            </div>
          </dl>
          <EndpointActions url={webhook.url} enabled={webhook.enabled} listHref={base} {...actions} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Edit endpoint</CardTitle>
          <CardDescription>A new URL or event list applies to events from now on; the signing secret stays.</CardDescription>
        </CardHeader>
        <CardContent>
          <WebhookForm action={actions.update} editing={webhook} />
        </CardContent>
      </Card>
      <section className="grid gap-3" aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading" className="text-lg font-semibold">
          Delivery log
        </h2>
        {deliveries.data.length === 0 ? (
          <EmptyState>No delivery yet. Send a test event, or wait for the next matching event: deliveries start within a few seconds.</EmptyState>
        ) : (
          <DeliveryTable deliveries={deliveries.data} resend={actions.resend} />
        )}
        <Pager firstHref={deliveries.first ? null : self} nextHref={deliveries.nextCursor ? `${self}?cursor=${encodeURIComponent(deliveries.nextCursor)}` : null} />
      </section>
      <Card>
        <CardHeader>
          <CardTitle>Verifying deliveries</CardTitle>
        </CardHeader>
        <CardContent>
          <VerifyHelp />
        </CardContent>
      </Card>
    </div>
  );
}
