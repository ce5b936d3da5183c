import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { DIRECTORY_PROVIDERS, SCIM_OUTCOMES, type ScimOutcome } from '../../validation/directories';
import { tenants } from './tenants';
import { users } from './users';

export { DIRECTORY_PROVIDERS, SCIM_OUTCOMES, type ScimOutcome };
export type { DirectoryProvider } from '../../validation/directories';

/**
 * A tenant's SCIM directories. The bearer token is shown once and kept only as its SHA-256
 * (tokens are 256 random bits, so a fast hash is enough); a revoked directory has no token hash.
 */
export const directories = pgTable(
  'directories',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    provider: text('provider', { enum: DIRECTORY_PROVIDERS }).notNull().default('generic'),
    tokenHash: text('token_hash'),
    tokenCreatedAt: timestamp('token_created_at', { withTimezone: true, mode: 'date' }),
    /**
     * The console sections of the admin who made it or last issued its token (null: the operator,
     * the API or an admin holding every section): the most its users' roles open in the console.
     */
    scopeCeiling: text('scope_ceiling').array(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('directories_tenant_idx').on(t.tenantId, t.id)],
);

/**
 * Users pushed by a directory. Every query carries `directory_id`; `user_name` is unique per
 * directory case-insensitively. `resource` is the SCIM resource as stored (core and extension
 * attributes; never `id`, `meta`, `groups` or `password`). `emails` holds the lower-cased email
 * values for filters.
 */
export const scimUsers = pgTable(
  'scim_users',
  {
    id: text('id').primaryKey(),
    directoryId: text('directory_id')
      .notNull()
      .references(() => directories.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    userName: text('user_name').notNull(),
    externalId: text('external_id'),
    active: boolean('active').notNull().default(true),
    emails: text('emails').array().notNull().default(sql`'{}'::text[]`),
    resource: jsonb('resource').$type<Record<string, unknown>>().notNull(),
    /** The portal user this SCIM user is (one email is one portal user per tenant); null without a usable email. */
    portalUserId: text('portal_user_id').references(() => users.id, { onDelete: 'set null' }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('scim_users_directory_user_name_key').on(t.directoryId, sql`lower(${t.userName})`),
    index('scim_users_directory_id_idx').on(t.directoryId, t.id),
    index('scim_users_directory_external_id_idx').on(t.directoryId, t.externalId),
    index('scim_users_emails_idx').using('gin', t.emails),
    index('scim_users_portal_user_idx').on(t.portalUserId),
  ],
);

/** Groups pushed by a directory; `display_name` is unique per directory case-insensitively. */
export const scimGroups = pgTable(
  'scim_groups',
  {
    id: text('id').primaryKey(),
    directoryId: text('directory_id')
      .notNull()
      .references(() => directories.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    displayName: text('display_name').notNull(),
    externalId: text('external_id'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('scim_groups_directory_display_name_key').on(t.directoryId, sql`lower(${t.displayName})`),
    index('scim_groups_directory_id_idx').on(t.directoryId, t.id),
    index('scim_groups_directory_external_id_idx').on(t.directoryId, t.externalId),
  ],
);

/** Group membership (users only; both ends in the same directory). */
export const scimGroupMembers = pgTable(
  'scim_group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => scimGroups.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => scimUsers.id, { onDelete: 'cascade' }),
    directoryId: text('directory_id').notNull(),
  },
  (t) => [primaryKey({ name: 'scim_group_members_pkey', columns: [t.groupId, t.userId] }), index('scim_group_members_user_idx').on(t.userId)],
);

/** The request log of a directory: what came in and what it changed (never tokens or passwords). */
export const scimRequests = pgTable(
  'scim_requests',
  {
    id: text('id').primaryKey(),
    directoryId: text('directory_id')
      .notNull()
      .references(() => directories.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    status: integer('status').notNull(),
    outcome: text('outcome', { enum: SCIM_OUTCOMES }).notNull(),
    summary: text('summary'),
    ip: text('ip'),
    durationMs: integer('duration_ms').notNull().default(0),
  },
  (t) => [index('scim_requests_directory_idx').on(t.directoryId, sql`${t.id} desc`)],
);

export type Directory = typeof directories.$inferSelect;
export type ScimUserRow = typeof scimUsers.$inferSelect;
export type ScimGroupRow = typeof scimGroups.$inferSelect;
export type ScimRequestRow = typeof scimRequests.$inferSelect;
