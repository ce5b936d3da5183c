import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from './tenants';

export type IdpCertificate = { fingerprintSha256: string; notBefore: string; notAfter: string; subject: string };
export type IdpInfo = { entityId?: string; ssoUrl?: string; issuer?: string; certificates?: IdpCertificate[] };

/**
 * A tenant's SSO connections. The SSO library keeps its own record (IdP metadata, encrypted
 * secrets) under `clientId`; this row is the portal's view of it and what scopes it to a tenant.
 */
export const connections = pgTable(
  'connections',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type', { enum: ['saml', 'oidc'] }).notNull(),
    name: text('name'),
    /** The SSO library's clientID for this connection. */
    clientId: text('client_id').notNull(),
    allowIdpInitiated: boolean('allow_idp_initiated').notNull().default(false),
    idp: jsonb('idp').$type<IdpInfo>().notNull(),
    metadataUrl: text('metadata_url'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('connections_tenant_idx').on(t.tenantId),
    uniqueIndex('connections_client_id_key').on(t.clientId),
    // One SAML IdP (entity ID) is one connection across the whole portal: the ACS finds the
    // connection by the response's issuer.
    uniqueIndex('connections_entity_id_key').on(sql`(${t.idp}->>'entityId')`),
  ],
);

/** Assertion IDs already accepted, until they could no longer be valid: each is accepted once, across instances. */
export const seenAssertions = pgTable('seen_assertions', {
  assertionId: text('assertion_id').primaryKey(),
  connectionId: text('connection_id').notNull(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

export type Connection = typeof connections.$inferSelect;

/**
 * Sign-ins in progress: the AuthnRequest each RelayState was issued with (so the IdP's answer
 * must name it in InResponseTo), and, once the ACS accepted a response, the code it produced.
 */
export const ssoFlows = pgTable('sso_flows', {
  key: text('key').primaryKey(),
  connectionId: text('connection_id').notNull(),
  tenantId: text('tenant_id').notNull(),
  requestId: text('request_id'),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});
