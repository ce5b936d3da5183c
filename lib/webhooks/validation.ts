import { z } from 'zod';
import { listQuerySchema } from '../validation/common';
import { EVENT_PATTERN } from './filter';

/**
 * Zod schemas of webhook endpoints, shared by the REST API, the console's server actions and its
 * forms. Whether http:// and private addresses are allowed depends on ALLOW_PRIVATE_URLS and is
 * checked by the DAL (lib/dal/webhooks.ts); the shape is checked here.
 */

export const WEBHOOK_KINDS = ['webhook', 'audit_stream'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** What a new endpoint of each kind receives when `events` is not given. */
export const DEFAULT_EVENTS: Record<WebhookKind, string[]> = {
  audit_stream: ['*'],
  webhook: ['user.*', 'connection.*'],
};

export const webhookUrlSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .superRefine((s, ctx) => {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be an absolute URL such as https://siem.example.com/hooks' });
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') ctx.addIssue({ code: 'custom', message: 'must be an https:// URL' });
    else if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not contain credentials' });
  });

export const eventPatternSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .regex(EVENT_PATTERN, 'must be *, a prefix such as user.* or an action such as user.suspended');

export const eventsSchema = z
  .array(eventPatternSchema, { error: 'must be an array of event patterns' })
  .min(1, 'list at least one event pattern (* for every event)')
  .max(50, 'at most 50 event patterns')
  .refine((l) => new Set(l).size === l.length, 'must not repeat a pattern');

const descriptionSchema = z.string({ error: 'must be a string' }).trim().max(200, 'must be at most 200 characters');

export const webhookCreateSchema = z.object({
  url: webhookUrlSchema,
  kind: z.enum(WEBHOOK_KINDS, { error: 'must be "webhook" or "audit_stream"' }).optional(),
  events: eventsSchema.optional(),
  description: descriptionSchema.nullable().optional(),
});
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

/** Unknown fields (`kind` included: an endpoint's kind never changes) are refused, each by name. */
const patchShape = {
  url: webhookUrlSchema.optional(),
  events: eventsSchema.optional(),
  description: descriptionSchema.nullable().optional(),
  enabled: z.boolean({ error: 'must be true or false' }).optional(),
};
export const webhookPatchSchema = z
  .looseObject(patchShape)
  // What the API answers (unknown fields refused), for openapi.json.
  .meta({ additionalProperties: false })
  .superRefine((v, ctx) => {
    for (const k of Object.keys(v)) {
      if (!(k in patchShape)) ctx.addIssue({ code: 'custom', path: [k], message: 'is not a field that can be changed (url, events, description, enabled)' });
    }
  })
  .transform(({ url, events, description, enabled }): WebhookPatch => ({ url, events, description, enabled }));
export type WebhookPatch = { url?: string; events?: string[]; description?: string | null; enabled?: boolean };

/** The console's create form: events typed as a comma/space-separated list. */
export const webhookFormSchema = z.object({
  url: webhookUrlSchema,
  kind: z.enum(WEBHOOK_KINDS, { error: 'choose a kind' }),
  events: z
    .string()
    .default('')
    .transform((s) => s.split(/[\s,]+/).map((e) => e.trim()).filter(Boolean))
    .pipe(eventsSchema),
  description: descriptionSchema.optional(),
});
export type WebhookFormInput = z.input<typeof webhookFormSchema>;

/** The console's edit form: the create form without the kind, which never changes. */
export const webhookEditFormSchema = webhookFormSchema.omit({ kind: true });

const id = z.string().min(1).max(64);
export const tenantWebhookParams = z.object({ tenantId: id, webhookId: id });
export const tenantDeliveryParams = z.object({ tenantId: id, webhookId: id, deliveryId: id });
export const webhookParams = z.object({ webhookId: id });
export const deliveryParams = z.object({ webhookId: id, deliveryId: id });

export const webhookListQuerySchema = listQuerySchema;
export const deliveryListQuerySchema = listQuerySchema.extend({
  status: z.enum(['delivered', 'failed'], { error: 'must be delivered or failed' }).optional(),
});

export const webhookSchema = z.object({
  id: z.string(),
  tenantId: z.string().nullable().meta({ description: 'null for an operator-wide endpoint (every tenant and operator events)' }),
  kind: z.enum(WEBHOOK_KINDS),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  createdAt: z.string().meta({ format: 'date-time' }),
  health: z.object({
    failures: z.number().int().meta({ description: 'consecutive failed attempts of the event at the head of the queue' }),
    lastError: z.string().nullable(),
    lastDeliveredAt: z.string().nullable(),
    nextAttemptAt: z.string().nullable().meta({ description: 'when the next retry is due; null when healthy' }),
  }),
});
export type WebhookView = z.infer<typeof webhookSchema>;

/** How deliveries look and how to check them (shown in openapi.json and the console). */
export const DELIVERY_DOCS =
  'Each event is POSTed as JSON: { id, type, occurredAt, tenantId, data: { actor, target, outcome, reason, details, user? } } ' +
  '(id is the audit event id, the same on every retry: dedupe by it; type is the audit action; change webhooks add data.user, ' +
  'the user\'s current state, to user.* events while the user exists). Headers: Content-Type: application/json, Portal-Event-Id, ' +
  'Portal-Event-Type, Portal-Delivery-Attempt and Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. ' +
  'To verify: recompute the HMAC over the raw body bytes with the secret (the whole whsec_… string), compare in constant time, ' +
  'and refuse a t more than 5 minutes from now. Answer 2xx within 10 s; anything else is retried with exponential backoff ' +
  '(2 s doubling up to 1 h), in order, one event at a time per endpoint.';

export const webhookWithSecretSchema = webhookSchema.extend({
  secret: z.string().meta({ description: `The signing secret, shown in this answer only. ${DELIVERY_DOCS}` }),
});
export type WebhookWithSecret = z.infer<typeof webhookWithSecretSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(['delivered', 'failed']),
  httpStatus: z.number().int().nullable(),
  attempt: z.number().int(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
  manual: z.boolean().meta({ description: 'a test event or a resend, outside the ordered stream' }),
  createdAt: z.string().meta({ format: 'date-time' }),
});
export type DeliveryView = z.infer<typeof deliverySchema>;
