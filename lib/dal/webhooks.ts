import 'server-only';
import { and, desc, eq, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { changes, record, secretFingerprint } from '../audit/record';
import { sequence } from '../audit/sequencer';
import type { Ctx } from '../audit/types';
import { getDb, type Executor } from '../db/client';
import { auditEvents, webhookDeliveries, webhookEndpoints, type WebhookDelivery, type WebhookEndpoint } from '../db/schema';
import { env } from '../env';
import { AppError, notFound } from '../errors';
import { checkUntrustedUrl } from '../http/safe-fetch';
import { newId } from '../ids';
import { buildPayload, testPayload } from '../webhooks/payload';
import { decryptSecret, encryptSecret, newWebhookSecret } from '../webhooks/secret';
import { logDelivery, sendEvent } from '../webhooks/send';
import {
  DEFAULT_EVENTS,
  type DeliveryView,
  type WebhookCreate,
  type WebhookPatch,
  type WebhookView,
  type WebhookWithSecret,
} from '../webhooks/validation';
import { refuseOverLimit } from './tenant-limits';
import { getTenant } from './tenants';
import { pageOf } from './page';

/**
 * Webhook endpoints of one tenant (`tenantId`) or operator-wide ones (`tenantId: null`, every
 * tenant's events and the operator's). Every query is scoped by that: a tenant's endpoint is
 * never reachable through another tenant or through the operator-wide scope, and back.
 */
export type WebhookScope = { tenantId: string | null };

const scopeWhere = (s: WebhookScope): SQL =>
  s.tenantId === null ? isNull(webhookEndpoints.tenantId) : eq(webhookEndpoints.tenantId, s.tenantId);

export function toWebhookView(e: WebhookEndpoint): WebhookView {
  return {
    id: e.id,
    tenantId: e.tenantId,
    kind: e.kind,
    url: e.url,
    events: e.events,
    description: e.description,
    enabled: e.enabled,
    createdAt: e.createdAt.toISOString(),
    health: {
      failures: e.failures,
      lastError: e.lastError,
      lastDeliveredAt: e.lastDeliveredAt?.toISOString() ?? null,
      // While healthy the column only holds a worker's claim; it is a retry time only after failures.
      nextAttemptAt: e.failures > 0 && e.enabled ? (e.nextAttemptAt?.toISOString() ?? null) : null,
    },
  };
}

export function toDeliveryView(d: WebhookDelivery): DeliveryView {
  return {
    id: d.id,
    webhookId: d.endpointId,
    eventId: d.eventId,
    eventType: d.action,
    status: d.status,
    httpStatus: d.httpStatus,
    attempt: d.attempt,
    durationMs: d.durationMs,
    error: d.error,
    manual: d.manual,
    createdAt: d.createdAt.toISOString(),
  };
}

/** https and a public host unless ALLOW_PRIVATE_URLS (the address connected to is checked again on every delivery). */
function checkUrl(url: string): void {
  checkUntrustedUrl(url, { path: 'url', allowPrivate: env().ALLOW_PRIVATE_URLS });
}

/** A URL for the audit log: its query string (receivers sometimes put a token there) is left out. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

const auditable = (e: Pick<WebhookEndpoint, 'kind' | 'url' | 'events' | 'description' | 'enabled'>) => ({
  kind: e.kind,
  url: redactUrl(e.url),
  events: e.events,
  description: e.description,
  enabled: e.enabled,
});

/** An endpoint as the target of its audit events (the URL without its query string). */
export const webhookTarget = (e: WebhookEndpoint) => ({ type: 'webhook', id: e.id, label: redactUrl(e.url).slice(0, 200) });

/**
 * Cursors at the current end of the chains the endpoint reads: it gets what happens from now on,
 * no history. Run in the creating transaction and again after the commit, once the sequencer has
 * linked what committed up to then (its `webhook.created` included); cursors only move forward.
 */
async function startCursors(tx: Executor, e: WebhookEndpoint): Promise<void> {
  await tx.execute(sql`
    insert into webhook_cursors (endpoint_id, chain_key, seq)
    select ${e.id}, chain_key, last_seq from audit_chains
    where ${e.tenantId === null ? sql`true` : sql`chain_key = ${e.tenantId}`}
    on conflict (endpoint_id, chain_key) do update set seq = greatest(webhook_cursors.seq, excluded.seq)`);
}

export async function createWebhook(ctx: Ctx, scope: WebhookScope, input: WebhookCreate): Promise<WebhookWithSecret> {
  checkUrl(input.url);
  if (scope.tenantId !== null) await getTenant(scope.tenantId);
  const kind = input.kind ?? 'webhook';
  const secret = newWebhookSecret();
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    if (scope.tenantId !== null) await refuseOverLimit(tx, scope.tenantId, 'webhooks', 'url');
    const [e] = await tx
      .insert(webhookEndpoints)
      .values({
        id: newId('wh'),
        tenantId: scope.tenantId,
        kind,
        url: input.url,
        events: input.events ?? DEFAULT_EVENTS[kind],
        description: input.description || null,
        secretEncrypted: encryptSecret(secret),
      })
      .returning();
    await record(tx, ctx, { tenantId: scope.tenantId, action: 'webhook.created', target: webhookTarget(e), details: { after: auditable(e) } });
    await startCursors(tx, e);
    return e;
  });
  await sequence(db, scope.tenantId ?? undefined);
  await startCursors(db, row);
  return { ...toWebhookView(row), secret };
}

export async function listWebhooks(scope: WebhookScope, opts: { limit: number; cursor?: string } = { limit: 200 }): Promise<{ data: WebhookView[]; nextCursor: string | null }> {
  const db = await getDb();
  const conds = [scopeWhere(scope)];
  if (opts.cursor) conds.push(lt(webhookEndpoints.id, opts.cursor));
  const rows = await db.select().from(webhookEndpoints).where(and(...conds)).orderBy(desc(webhookEndpoints.id)).limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  return { data: page.map(toWebhookView), nextCursor };
}

async function findEndpoint(db: Executor, scope: WebhookScope, id: string, lock = false): Promise<WebhookEndpoint> {
  const q = db.select().from(webhookEndpoints).where(and(scopeWhere(scope), eq(webhookEndpoints.id, id)));
  const [e] = lock ? await q.for('update') : await q;
  if (!e) throw notFound('Webhook');
  return e;
}

export async function getWebhook(scope: WebhookScope, id: string): Promise<WebhookView> {
  return toWebhookView(await findEndpoint(await getDb(), scope, id));
}

export async function updateWebhook(ctx: Ctx, scope: WebhookScope, id: string, patch: WebhookPatch): Promise<WebhookView> {
  if (patch.url !== undefined) checkUrl(patch.url);
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const before = await findEndpoint(tx, scope, id, true);
    const next = {
      url: patch.url,
      events: patch.events,
      description: patch.description === undefined ? undefined : patch.description || null,
      enabled: patch.enabled,
    };
    const diff = changes(auditable(before), { ...next, url: next.url === undefined ? undefined : redactUrl(next.url) });
    const changed = diff !== null || (next.url !== undefined && next.url !== before.url);
    if (!changed) return before;
    const [e] = await tx
      .update(webhookEndpoints)
      .set({
        ...next,
        // Switched on again or pointed elsewhere: try at once, with a fresh backoff.
        ...((patch.enabled === true && !before.enabled) || (patch.url !== undefined && patch.url !== before.url) ? { nextAttemptAt: null, failures: 0 } : {}),
      })
      .where(eq(webhookEndpoints.id, before.id))
      .returning();
    await record(tx, ctx, { tenantId: scope.tenantId, action: 'webhook.updated', target: webhookTarget(e), details: diff ?? { before: { url: '(query string changed)' }, after: { url: '(query string changed)' } } });
    return e;
  });
  return toWebhookView(row);
}

export async function deleteWebhook(ctx: Ctx, scope: WebhookScope, id: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const e = await findEndpoint(tx, scope, id, true);
    await tx.delete(webhookEndpoints).where(eq(webhookEndpoints.id, e.id));
    await record(tx, ctx, { tenantId: scope.tenantId, action: 'webhook.deleted', target: webhookTarget(e), details: { before: auditable(e) } });
  });
}

/** A new signing secret (shown once); deliveries are signed with it from the next one on. */
export async function rotateWebhookSecret(ctx: Ctx, scope: WebhookScope, id: string): Promise<WebhookWithSecret> {
  const secret = newWebhookSecret();
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const e = await findEndpoint(tx, scope, id, true);
    // A secret that no longer decrypts (AUTH_SECRET changed) is what a rotation repairs: it is named "unreadable".
    let before: string;
    try {
      before = secretFingerprint({ plain: decryptSecret(e.secretEncrypted) });
    } catch {
      before = 'unreadable';
    }
    const [u] = await tx.update(webhookEndpoints).set({ secretEncrypted: encryptSecret(secret) }).where(eq(webhookEndpoints.id, e.id)).returning();
    await record(tx, ctx, {
      tenantId: scope.tenantId,
      action: 'webhook.secret_rotated',
      target: webhookTarget(u),
      details: { before: { secret: before }, after: { secret: secretFingerprint({ plain: secret }) } },
    });
    return u;
  });
  return { ...toWebhookView(row), secret };
}

export async function listDeliveries(
  scope: WebhookScope,
  webhookId: string,
  opts: { limit: number; cursor?: string; status?: 'delivered' | 'failed' },
): Promise<{ data: DeliveryView[]; nextCursor: string | null }> {
  const db = await getDb();
  const e = await findEndpoint(db, scope, webhookId);
  const conds = [eq(webhookDeliveries.endpointId, e.id)];
  if (opts.cursor) conds.push(lt(webhookDeliveries.id, opts.cursor));
  if (opts.status) conds.push(eq(webhookDeliveries.status, opts.status));
  const rows = await db.select().from(webhookDeliveries).where(and(...conds)).orderBy(desc(webhookDeliveries.id)).limit(opts.limit + 1);
  const { page, nextCursor } = pageOf(rows, opts.limit);
  return { data: page.map(toDeliveryView), nextCursor };
}

function secretOf(e: WebhookEndpoint): string {
  try {
    return decryptSecret(e.secretEncrypted);
  } catch {
    throw new AppError(409, 'secret_unreadable', 'The signing secret cannot be read (AUTH_SECRET changed?); rotate the secret first');
  }
}

/**
 * Sends a signed `webhook.test` event at once, outside the ordered stream (the cursors do not
 * move), and logs it as a manual delivery. Sent even when the endpoint is disabled.
 */
export async function sendTestEvent(ctx: Ctx, scope: WebhookScope, webhookId: string): Promise<DeliveryView> {
  const db = await getDb();
  const e = await findEndpoint(db, scope, webhookId);
  const payload = testPayload(newId('evt'), e, ctx.actor);
  const result = await sendEvent(e.url, secretOf(e), payload);
  return toDeliveryView(await logDelivery(db, { endpointId: e.id, eventId: payload.id, action: payload.type, attempt: 1, result, manual: true }));
}

/**
 * Sends the event of an earlier delivery again (same event id, current user state for change
 * webhooks), outside the ordered stream, and logs it as a manual delivery.
 */
export async function resendDelivery(ctx: Ctx, scope: WebhookScope, webhookId: string, deliveryId: string): Promise<DeliveryView> {
  const db = await getDb();
  const e = await findEndpoint(db, scope, webhookId);
  const [d] = await db.select().from(webhookDeliveries).where(and(eq(webhookDeliveries.endpointId, e.id), eq(webhookDeliveries.id, deliveryId)));
  if (!d) throw notFound('Delivery');
  let payload;
  if (d.action === 'webhook.test') {
    payload = testPayload(d.eventId, e, ctx.actor, d.createdAt);
  } else {
    const [ev] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.id, d.eventId), e.tenantId === null ? sql`true` : eq(auditEvents.tenantId, e.tenantId)));
    if (!ev) throw new AppError(410, 'gone', 'The event is no longer in the audit log (removed by retention); it cannot be sent again');
    payload = await buildPayload(e.kind, ev);
  }
  const [{ n }] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, e.id), eq(webhookDeliveries.eventId, d.eventId)));
  const result = await sendEvent(e.url, secretOf(e), payload, { attempt: Number(n) + 1 });
  return toDeliveryView(await logDelivery(db, { endpointId: e.id, eventId: payload.id, action: payload.type, attempt: Number(n) + 1, result, manual: true }));
}
