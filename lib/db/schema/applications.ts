import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The operator's own products that sign users in through the portal's OpenID Provider
 * (lib/applications). A confidential application's secret is kept only as a SHA-256 hash.
 */
export const applications = pgTable(
  'applications',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    clientId: text('client_id').notNull(),
    type: text('type', { enum: ['confidential', 'public'] }).notNull().default('confidential'),
    secretHash: text('secret_hash'),
    redirectUris: text('redirect_uris').array().notNull(),
    postLogoutRedirectUris: text('post_logout_redirect_uris').array().notNull().default(sql`'{}'::text[]`),
    backchannelLogoutUri: text('backchannel_logout_uri'),
    /** Where the application starts a sign-in itself (OIDC Core 4, third-party initiated login): the portal's launcher links there. */
    initiateLoginUri: text('initiate_login_uri'),
    /** Tenants whose users may sign in; null: every tenant. */
    tenantIds: text('tenant_ids').array(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('applications_client_id_key').on(t.clientId)],
);

/**
 * Everything the OpenID Provider stores (sessions, interactions, grants, codes, tokens), one row
 * per artifact. Bearer artifacts (codes, tokens) are keyed by the SHA-256 of their value.
 */
export const oidcPayloads = pgTable(
  'oidc_payloads',
  {
    model: text('model').notNull(),
    id: text('id').notNull(),
    payload: jsonb('payload').notNull(),
    grantId: text('grant_id'),
    uid: text('uid'),
    userCode: text('user_code'),
    accountId: text('account_id'),
    clientId: text('client_id'),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    consumedAt: timestamp('consumed_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    primaryKey({ columns: [t.model, t.id] }),
    index('oidc_payloads_grant_idx').on(t.grantId).where(sql`${t.grantId} is not null`),
    index('oidc_payloads_uid_idx').on(t.uid).where(sql`${t.uid} is not null`),
    index('oidc_payloads_account_idx').on(t.accountId, t.model).where(sql`${t.accountId} is not null`),
    index('oidc_payloads_client_idx').on(t.clientId).where(sql`${t.clientId} is not null`),
    index('oidc_payloads_expires_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
  ],
);

/** Which portal session each provider session (by its stable uid) was created from. */
export const oidcSessionLinks = pgTable(
  'oidc_session_links',
  {
    sessionUid: text('session_uid').primaryKey(),
    portalSessionId: text('portal_session_id').notNull(),
    accountId: text('account_id').notNull(),
    tenantId: text('tenant_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('oidc_session_links_portal_idx').on(t.portalSessionId), index('oidc_session_links_account_idx').on(t.accountId)],
);

/**
 * The provider's signing keys. `next` is published (verify only) before it signs; `current`
 * signs; `retired` stays published until `notAfter`, when nothing it signed is still valid. The
 * private key is sealed with AES-256-GCM under a key derived from AUTH_SECRET.
 */
export const oidcSigningKeys = pgTable('oidc_signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  state: text('state', { enum: ['next', 'current', 'retired'] }).notNull(),
  privateJwkSealed: text('private_jwk_sealed').notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  activatedAt: timestamp('activated_at', { withTimezone: true, mode: 'date' }),
  notAfter: timestamp('not_after', { withTimezone: true, mode: 'date' }),
});

/**
 * Back-channel logout tokens to deliver: one row per (application, session) whose portal session
 * ended. Retried with backoff like webhooks until delivered or given up; visible in the console.
 */
export const backchannelDeliveries = pgTable(
  'backchannel_deliveries',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id'),
    accountId: text('account_id').notNull(),
    sid: text('sid').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    lastError: text('last_error'),
    httpStatus: integer('http_status'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('backchannel_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('backchannel_deliveries_app_idx').on(t.applicationId, t.createdAt),
    /** Each application's due deliveries in order (deliverDue takes a few of each). */
    index('backchannel_deliveries_app_due_idx').on(t.applicationId, t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  ],
);

export type Application = typeof applications.$inferSelect;
export type OidcSigningKey = typeof oidcSigningKeys.$inferSelect;
export type BackchannelDelivery = typeof backchannelDeliveries.$inferSelect;
