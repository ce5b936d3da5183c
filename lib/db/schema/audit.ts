import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * Audit events. Each chain (one per tenant, one for operator-wide events) is a hash chain:
 * `hash` covers the event's canonical content and `prev_hash`. An event is inserted unlinked
 * (`seq`, `prev_hash`, `hash` null) and linked once, shortly after, by the sequencer
 * (lib/audit/sequencer.ts). No foreign key to tenants: the log outlives what it records.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: text('id').primaryKey(),
    chainKey: text('chain_key').notNull(),
    seq: bigint('seq', { mode: 'number' }),
    tenantId: text('tenant_id'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull(),
    action: text('action').notNull(),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    actorLabel: text('actor_label'),
    targetType: text('target_type'),
    targetId: text('target_id'),
    targetLabel: text('target_label'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    prevHash: text('prev_hash'),
    hash: text('hash'),
  },
  (t) => [
    uniqueIndex('audit_events_chain_seq_key').on(t.chainKey, t.seq),
    // The sequencer's queue: events not linked into their chain yet.
    index('audit_events_unlinked_idx').on(t.chainKey, t.id).where(sql`${t.hash} is null`),
    index('audit_events_tenant_time_idx').on(t.tenantId, sql`${t.occurredAt} desc`, sql`${t.id} desc`),
    // First pages of the actorId / targetId filters and of the operator-wide view (bench/audit.ts).
    index('audit_events_tenant_actor_idx').on(t.tenantId, t.actorId, sql`${t.occurredAt} desc`, sql`${t.id} desc`),
    index('audit_events_tenant_target_idx').on(t.tenantId, t.targetId, sql`${t.occurredAt} desc`, sql`${t.id} desc`),
    index('audit_events_time_idx').on(sql`${t.occurredAt} desc`, sql`${t.id} desc`),
  ],
);

/** The head of each audit chain; its row lock serialises writers of one chain. */
export const auditChains = pgTable('audit_chains', {
  chainKey: text('chain_key').primaryKey(),
  lastSeq: bigint('last_seq', { mode: 'number' }).notNull(),
  lastHash: text('last_hash').notNull(),
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
