import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const operators = pgTable(
  'operators',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull(),
    passwordHash: text('password_hash').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastLoginAt: timestamp('last_login_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('operators_email_key').on(sql`lower(${t.email})`)],
);

/**
 * Failed operator sign-ins per account (`email:<address>`) and per client address (`ip:<address>`)
 * in the current window, and until when further attempts are refused (lib/auth/throttle.ts).
 */
export const signInThrottle = pgTable('sign_in_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull(),
  windowStart: timestamp('window_start', { withTimezone: true, mode: 'date' }).notNull(),
  blockedUntil: timestamp('blocked_until', { withTimezone: true, mode: 'date' }),
});

/** Operator API keys; only a SHA-256 hash of the key is kept. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdBy: text('created_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_key').on(t.keyHash)],
);

/**
 * Server-side session records. The session cookie only names a row here; deleting the row ends
 * the session at once (suspension, sign-out, revocation).
 */
/** The SAML sign-in a session came from: its connection, the assertion's NameID and SessionIndex. */
export type SessionSso = { connectionId: string; nameId: string; nameIdFormat: string | null; sessionIndex: string | null };

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['operator', 'user', 'portal_link'] }).notNull(),
    subjectId: text('subject_id').notNull(),
    tenantId: text('tenant_id'),
    /**
     * Setup-link sessions: the tenant console sections it opens. End users: the most it opens (the
     * ceiling of the connection signed in through; null: what their roles open).
     */
    scopes: text('scopes').array(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** End users signed in through SAML: what single logout needs (lib/sso/saml/logout.ts). */
    sso: jsonb('sso').$type<SessionSso>(),
    /** Last request seen on this session (idle timeout); written at most once a minute. */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [index('sessions_subject_idx').on(t.subjectId), index('sessions_expires_idx').on(t.expiresAt)],
);

export type Operator = typeof operators.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
