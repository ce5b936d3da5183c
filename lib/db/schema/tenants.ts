import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Rule } from '../../validation/role-mappings';

export const tenants = pgTable(
  'tenants',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    slug: text('slug').notNull(),
    strategy: text('strategy', { enum: ['jit', 'scim', 'self_registration'] }).notNull().default('jit'),
    defaultRole: text('default_role').default('member'),
    allowedDomains: text('allowed_domains').array().notNull().default(sql`'{}'::text[]`),
    roles: text('roles').array().notNull().default(sql`'{admin,editor,member,viewer}'::text[]`),
    /** Attribute-to-role mapping rules, in order (lib/provisioning/mapping.ts). */
    roleRules: jsonb('role_rules').$type<Rule[]>().notNull().default(sql`'[]'::jsonb`),
    /** Which app roles open which sections of the tenant console after SSO (lib/auth/permissions.ts); {}: none. */
    consoleAccess: jsonb('console_access').$type<Record<string, ('sso' | 'directory_sync' | 'role_mappings' | 'audit_log' | 'domains')[]>>().notNull().default(sql`'{}'::jsonb`),
    /** Sign-in policy (lib/policies): MFA, IP allowlists, session lifetime and idle timeout. */
    signInPolicy: jsonb('sign_in_policy').$type<SignInPolicy>().notNull().default(sql`'{}'::jsonb`),
    /** Suspend users not seen through SSO for this many days; null: off. */
    inactivityDays: integer('inactivity_days'),
    /**
     * The console sections of the admin who last set the inactivity policy (null: the operator, the
     * API or a holder of every section): it never suspends a user whose roles open more.
     */
    inactivityCeiling: text('inactivity_ceiling').array(),
    /** Audit events older than this many days are pruned by the retention job. */
    auditRetentionDays: integer('audit_retention_days').notNull().default(365),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('tenants_slug_key').on(t.slug), index('tenants_name_idx').on(sql`lower(${t.name})`)],
);

/** An email domain belongs to at most one tenant; stored lower-case. */
export const tenantDomains = pgTable(
  'tenant_domains',
  {
    domain: text('domain').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    verified: boolean('verified').notNull().default(false),
    /** Who added it: an operator's domain is trusted for sign-in routing; an admin's only once verified. */
    addedBy: text('added_by', { enum: ['operator', 'admin'] }).notNull().default('operator'),
    verificationToken: text('verification_token').notNull(),
    verifiedAt: timestamp('verified_at', { withTimezone: true, mode: 'date' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [index('tenant_domains_tenant_idx').on(t.tenantId)],
);

/** A tenant's sign-in policy; every field is optional (absent: no restriction). */
export type SignInPolicy = {
  requireMfa?: boolean;
  /** CIDRs end users must sign in from. */
  ipAllowlist?: string[];
  /** CIDRs the tenant console (admins) must be used from. */
  consoleIpAllowlist?: string[];
  sessionMaxAgeSeconds?: number;
  sessionIdleSeconds?: number;
};

export type Tenant = typeof tenants.$inferSelect;
export type TenantDomain = typeof tenantDomains.$inferSelect;
