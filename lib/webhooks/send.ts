import type { Executor } from '../db/client';
import { webhookDeliveries, type WebhookDelivery } from '../db/schema';
import { env } from '../env';
import { AppError } from '../errors';
import { postUntrusted } from '../http/safe-fetch';
import { newId } from '../ids';
import type { WebhookPayload } from './payload';
import { SIGNATURE_HEADER, signatureHeader } from './signature';

export const DELIVERY_TIMEOUT_MS = 10_000;

export type SendResult = { ok: boolean; httpStatus: number | null; error: string | null; durationMs: number };

/**
 * POSTs one signed event to a receiver: HTTPS and public addresses only unless ALLOW_PRIVATE_URLS,
 * 10 s at most, redirects not followed. Any 2xx is delivered; anything else (or no answer) failed.
 */
export async function sendEvent(url: string, secret: string, payload: WebhookPayload, opts: { timeoutMs?: number; attempt?: number } = {}): Promise<SendResult> {
  const body = JSON.stringify(payload);
  const started = performance.now();
  const took = () => Math.round(performance.now() - started);
  try {
    const res = await postUntrusted(url, body, {
      path: 'url',
      allowPrivate: env().ALLOW_PRIVATE_URLS,
      timeoutMs: opts.timeoutMs ?? DELIVERY_TIMEOUT_MS,
      maxBytes: 512,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'sso-portal-webhooks/1',
        [SIGNATURE_HEADER]: signatureHeader(secret, body),
        'Portal-Event-Id': payload.id,
        'Portal-Event-Type': payload.type,
        'Portal-Delivery-Attempt': String(opts.attempt ?? 1),
      },
    });
    const ok = res.status >= 200 && res.status < 300;
    const snippet = res.body.replace(/\s+/g, ' ').trim().slice(0, 200);
    return { ok, httpStatus: res.status, error: ok ? null : `HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`, durationMs: took() };
  } catch (err) {
    const message = err instanceof AppError ? `url ${err.message}` : err instanceof Error ? err.message : String(err);
    return { ok: false, httpStatus: null, error: message.slice(0, 500), durationMs: took() };
  }
}

/** One row of the delivery log. */
export async function logDelivery(
  db: Executor,
  v: { endpointId: string; eventId: string; action: string; attempt: number; result: SendResult; manual: boolean },
): Promise<WebhookDelivery> {
  const [row] = await db
    .insert(webhookDeliveries)
    .values({
      id: newId('whd'),
      endpointId: v.endpointId,
      eventId: v.eventId,
      action: v.action,
      attempt: v.attempt,
      status: v.result.ok ? 'delivered' : 'failed',
      httpStatus: v.result.httpStatus,
      error: v.result.error?.slice(0, 500) ?? null,
      durationMs: v.result.durationMs,
      manual: v.manual,
    })
    .returning();
  return row;
}
