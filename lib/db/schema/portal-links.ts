import { index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from './tenants';

/**
 * Setup links for a customer's IT admin: scoped to sections of one tenant, expiring, revocable,
 * and bound to the first browser session that opens them. Only a hash of the token is kept.
 */
export const portalLinks = pgTable(
  'portal_links',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    usedAt: timestamp('used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('portal_links_token_hash_key').on(t.tokenHash), index('portal_links_tenant_idx').on(t.tenantId)],
);

export type PortalLink = typeof portalLinks.$inferSelect;
