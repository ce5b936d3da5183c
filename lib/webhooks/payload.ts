import type { AuditEventRow } from '../db/schema';
import { getUser, toUserView, type UserView } from '../dal/users';

/**
 * The JSON body of a delivery — one audit event:
 *
 *   { id, type, occurredAt, tenantId,
 *     data: { actor: { type, id, label }, target: { type, id, label } | null, outcome, reason, details,
 *             user?: User } }
 *
 * `id` is the audit event id (the same across retries and resends: receivers dedupe by it),
 * `type` its action. Change webhooks (kind `webhook`) add `data.user`, the user's current state
 * (the API's user object), to `user.*` events whose user still exists.
 */
export type WebhookPayload = {
  id: string;
  type: string;
  occurredAt: string;
  tenantId: string | null;
  data: {
    actor: { type: string; id: string | null; label: string | null };
    target: { type: string; id: string; label: string | null } | null;
    outcome: 'success' | 'failure';
    reason: string | null;
    details: Record<string, unknown> | null;
    user?: UserView;
  };
};

type EventFields = Pick<
  AuditEventRow,
  'id' | 'action' | 'occurredAt' | 'tenantId' | 'actorType' | 'actorId' | 'actorLabel' | 'targetType' | 'targetId' | 'targetLabel' | 'outcome' | 'reason' | 'details'
>;

export function eventPayload(e: EventFields): WebhookPayload {
  return {
    id: e.id,
    type: e.action,
    occurredAt: e.occurredAt.toISOString(),
    tenantId: e.tenantId,
    data: {
      actor: { type: e.actorType, id: e.actorId, label: e.actorLabel },
      target: e.targetType && e.targetId ? { type: e.targetType, id: e.targetId, label: e.targetLabel } : null,
      outcome: e.outcome,
      reason: e.reason,
      details: e.details ?? null,
    },
  };
}

/** The payload an endpoint of `kind` receives for an event (with the user's state for change webhooks). */
export async function buildPayload(kind: 'webhook' | 'audit_stream', e: EventFields): Promise<WebhookPayload> {
  const p = eventPayload(e);
  if (kind === 'webhook' && e.action.startsWith('user.') && e.tenantId && e.targetType === 'user' && e.targetId) {
    const u = await getUser(e.tenantId, e.targetId).catch(() => null);
    if (u) p.data.user = toUserView(u);
  }
  return p;
}

/** The `webhook.test` event the console's "Send test event" sends (not in the audit log, not in the ordered stream). */
export function testPayload(id: string, endpoint: { id: string; tenantId: string | null }, actor: { type: string; id?: string | null; label?: string | null }, at = new Date()): WebhookPayload {
  return {
    id,
    type: 'webhook.test',
    occurredAt: at.toISOString(),
    tenantId: endpoint.tenantId,
    data: {
      actor: { type: actor.type, id: actor.id ?? null, label: actor.label ?? null },
      target: { type: 'webhook', id: endpoint.id, label: null },
      outcome: 'success',
      reason: null,
      details: { message: 'A test event sent from the SSO portal. Its signature is valid.' },
    },
  };
}
