import 'server-only';
import { and, count, eq, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client';
import { connections, directories, tenantDomains, tenants, webhookEndpoints } from '../db/schema';
import { conflict } from '../errors';

/**
 * What one organisation may hold of the things its admins create, each of which costs the portal
 * work on every event, request or job run. A tenant admin (a setup link, say) reaches the limit
 * long before it could matter to anyone else; real organisations stay far below it.
 */
export const TENANT_LIMITS = {
  /** Webhook and audit-stream endpoints: every audit event is one delivery per endpoint. */
  webhooks: { max: 20, what: 'webhook endpoints', table: webhookEndpoints, tenantId: webhookEndpoints.tenantId },
  /** SSO connections (each with the SSO library's record and a metadata refresh). */
  connections: { max: 20, what: 'SSO connections', table: connections, tenantId: connections.tenantId },
  /** SCIM directories (each with its own token, users, groups and request log). */
  directories: { max: 10, what: 'SCIM directories', table: directories, tenantId: directories.tenantId },
  /** Domains an admin added and has not verified: each reserves a name no other admin can add. */
  unverifiedDomains: {
    max: 20,
    what: 'unverified domains added by its admins',
    then: 'verify or remove one first',
    table: tenantDomains,
    tenantId: tenantDomains.tenantId,
    where: and(eq(tenantDomains.addedBy, 'admin'), eq(tenantDomains.verified, false)),
  },
} satisfies Record<string, Limit>;

type Limit = { max: number; what: string; then?: string; table: PgTable; tenantId: PgColumn; where?: SQL };

/**
 * Refuses (409 naming `path`) one more of `kind` in a tenant that holds its limit already. The
 * tenant's row is locked for the rest of the transaction, so two creations at once cannot both take
 * the last place.
 */
export async function refuseOverLimit(tx: Tx, tenantId: string, kind: keyof typeof TENANT_LIMITS, path: string): Promise<void> {
  const limit: Limit = TENANT_LIMITS[kind];
  await tx.select({ id: tenants.id }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
  const [{ n }] = await tx.select({ n: count() }).from(limit.table).where(and(eq(limit.tenantId, tenantId), limit.where));
  if (n >= limit.max) throw conflict(path, `an organisation has at most ${limit.max} ${limit.what}; ${limit.then ?? 'delete one first'}`);
}
