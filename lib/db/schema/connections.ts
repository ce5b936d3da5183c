import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from './tenants';

export type IdpCertificate = { fingerprintSha256: string; notBefore: string; notAfter: string; subject: string };
/** SAML service locations of the IdP, by binding (from its metadata, checked). */
export type IdpServiceLocations = { ssoRedirectUrl?: string; ssoPostUrl?: string; sloRedirectUrl?: string; sloPostUrl?: string };
export type IdpInfo = { entityId?: string; ssoUrl?: string; issuer?: string; certificates?: IdpCertificate[]; bindings?: IdpServiceLocations };
export type PendingMetadata = { xml: string; idp: IdpInfo; fetchedAt: string };

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
    /** draft → tested (a test sign-in succeeded) → active; only active connections serve sign-in. */
    status: text('status', { enum: ['draft', 'tested', 'active'] }).notNull().default('active'),
    /** The last test sign-in's result (attributes, NameID, roles, or a typed failure). */
    lastTest: jsonb('last_test').$type<Record<string, unknown>>(),
    testedAt: timestamp('tested_at', { withTimezone: true, mode: 'date' }),
    /** Per-connection MFA requirement; null: the tenant's policy. */
    requireMfa: boolean('require_mfa'),
    /**
     * OIDC: accept an email the provider does not mark as verified (`email_verified` not true), for
     * providers that never send the claim (Microsoft Entra ID). Such an email still never links a
     * new subject to an existing user (lib/provisioning/jit.ts).
     */
    trustUnverifiedEmail: boolean('trust_unverified_email').notNull().default(false),
    /**
     * OIDC: where the provider sends the browser back. `shared`: the portal's one redirect URI
     * (connections the operator makes); `tenant`: the tenant's own (connections a tenant's admin
     * makes), so that a provider's answer can finish only a flow of its tenant (IdP mix-up).
     */
    oidcRedirect: text('oidc_redirect', { enum: ['shared', 'tenant'] }).notNull().default('shared'),
    /** SAML: refuse assertions that are not encrypted to the portal's encryption certificate. */
    requireEncryptedAssertions: boolean('require_encrypted_assertions').notNull().default(false),
    /** Metadata fetched by the scheduled refresh that differs from the active one, awaiting approval. */
    pendingMetadata: jsonb('pending_metadata').$type<PendingMetadata>(),
    metadataCheckedAt: timestamp('metadata_checked_at', { withTimezone: true, mode: 'date' }),
    /** The smallest expiry-warning threshold (30/14/7 days) already announced for the certificates. */
    certWarnedDays: integer('cert_warned_days'),
    /**
     * The console sections of the admin who made it or last changed it (null: the operator, the
     * API or an admin holding every section): the most a sign-in through it opens in the console.
     */
    scopeCeiling: text('scope_ceiling').array(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [
    index('connections_tenant_idx').on(t.tenantId),
    uniqueIndex('connections_client_id_key').on(t.clientId),
    // One SAML IdP (entity ID) is one connection per tenant. Tenants may share one (customers of
    // one IdP product); their sign-ins are told apart by the flow, not by the response's issuer.
    uniqueIndex('connections_tenant_entity_id_key').on(t.tenantId, sql`(${t.idp}->>'entityId')`),
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
  /** `test`: a connection test started by an admin; it signs nobody in and records its result on the connection. */
  purpose: text('purpose', { enum: ['signin', 'test'] }).notNull().default('signin'),
  /** What a test flow carries from the ACS to the callback (the SAML assertion as read), never secrets. */
  detail: jsonb('detail').$type<Record<string, unknown>>(),
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
});

/**
 * The portal's own SAML key pairs as a service provider, published in its SP metadata. `encryption`:
 * IdPs encrypt assertions to the certificate; `current` and, during a rollover, `next` are both
 * published and both decrypt; finishing the rollover deletes the old one. The private key is sealed
 * (AES-256-GCM, key derived from AUTH_SECRET, the id as associated data).
 */
export const samlSpKeys = pgTable('saml_sp_keys', {
  /** SHA-256 fingerprint of the certificate (hex, colon-separated). */
  id: text('id').primaryKey(),
  use: text('use', { enum: ['encryption'] }).notNull(),
  state: text('state', { enum: ['current', 'next'] }).notNull(),
  certPem: text('cert_pem').notNull(),
  privateKeySealed: text('private_key_sealed').notNull(),
  notAfter: timestamp('not_after', { withTimezone: true, mode: 'date' }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export type SamlSpKey = typeof samlSpKeys.$inferSelect;
