import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from './tenants';

/**
 * Where events are pushed: a tenant's SIEM stream (every audit event) or change webhooks (the
 * event types listed), or operator-wide when `tenantId` is null. The audit log is the outbox:
 * each endpoint keeps a cursor per audit chain (`webhook_cursors`), so nothing extra is written
 * when an event happens and nothing is lost across restarts.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['audit_stream', 'webhook'] }).notNull(),
    url: text('url').notNull(),
    /** Audit actions delivered; `*` is every action, `user.*` every action starting `user.`. */
    events: text('events').array().notNull().default(sql`'{*}'::text[]`),
    description: text('description'),
    /** The signing secret, encrypted with a key derived from AUTH_SECRET. */
    secretEncrypted: text('secret_encrypted').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** Consecutive failed attempts of the event at the head of the queue; 0 when healthy. */
    failures: integer('failures').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }),
    lastError: text('last_error'),
    lastDeliveredAt: timestamp('last_delivered_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('webhook_endpoints_tenant_idx').on(t.tenantId)],
);

/** How far an endpoint has delivered each audit chain (`audit_events.seq`). */
export const webhookCursors = pgTable(
  'webhook_cursors',
  {
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    chainKey: text('chain_key').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.chainKey] })],
);

/** Every delivery attempt, for the delivery log. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    eventId: text('event_id').notNull(),
    action: text('action').notNull(),
    attempt: integer('attempt').notNull(),
    status: text('status', { enum: ['delivered', 'failed'] }).notNull(),
    httpStatus: integer('http_status'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
    /** A resend or test event asked for by an admin, outside the ordered stream. */
    manual: boolean('manual').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('webhook_deliveries_endpoint_idx').on(t.endpointId, sql`${t.createdAt} desc`)],
);

export type WebhookEndpoint = typeof webhookEndpoints.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
