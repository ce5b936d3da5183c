import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { connections } from './connections';
import { tenants } from './tenants';

/**
 * A tenant's end users, created just in time at SSO sign-in, by SCIM or by self-registration.
 * One email is one user per tenant (case-insensitive).
 */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    roles: text('roles').array().notNull().default(sql`'{}'::text[]`),
    groups: text('groups').array().notNull().default(sql`'{}'::text[]`),
    /** The attributes of the last sign-in (for mapping previews); never the raw assertion. */
    attributes: jsonb('attributes').$type<Record<string, string[]>>(),
    status: text('status', { enum: ['active', 'suspended'] }).notNull().default('active'),
    /** Who suspended: an admin's suspension is lifted only by an admin. */
    suspendedBy: text('suspended_by', { enum: ['admin', 'scim', 'policy'] }),
    source: text('source', { enum: ['jit', 'scim', 'self_registration'] }).notNull(),
    /**
     * The console sections this user's roles may open: those of whoever set up the sources that
     * last wrote them (the connection of a JIT sign-in; every directory of a SCIM user). Null: no
     * limit. See lib/auth/permissions.ts `ceilingOf`.
     */
    scopeCeiling: text('scope_ceiling').array(),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('users_tenant_email_key').on(t.tenantId, sql`lower(${t.email})`),
    index('users_tenant_id_idx').on(t.tenantId, t.id),
  ],
);

/** The IdP subject (NameID / `sub`) a user signs in as, per connection. */
export const userIdentities = pgTable(
  'user_identities',
  {
    connectionId: text('connection_id')
      .notNull()
      .references(() => connections.id, { onDelete: 'cascade' }),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.subject] }), index('user_identities_user_idx').on(t.userId)],
);

export type User = typeof users.$inferSelect;
