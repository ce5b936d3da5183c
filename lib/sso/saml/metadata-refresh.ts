import 'server-only';
import { and, asc, eq, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { record } from '../../audit/record';
import { SYSTEM, type Ctx } from '../../audit/types';
import { findConnectionById, getConnection, refuseTakenLibraryKey, toConnectionView } from '../../dal/connections';
import { getDb, type Db } from '../../db/client';
import { connections, type Connection, type IdpInfo, type PendingMetadata } from '../../db/schema';
import { env } from '../../env';
import { AppError, badRequest, isUniqueViolation } from '../../errors';
import { fetchUntrusted } from '../../http/safe-fetch';
import { log } from '../../log';
import type { MetadataStatus } from '../../validation/certificates';
import type { ConnectionView } from '../../validation/connections';
import { diffIdp, warnedDaysAfterChange } from './certificate-expiry';
import { bindingsOf, libraryRecord, limitAfterIdpChange, pemCertificates, writeLibraryIdp } from './certificates';
import { sso } from '../jackson';
import { inTenantScope } from '../jackson-store';
import { removeLibraryConnections } from '../library-records';
import { buildIdpMetadataXml, MAX_METADATA_BYTES, parseIdpMetadata } from './metadata';
import { PRODUCT, sp } from '../sp';
import { connectionLabel } from '../../validation/connections';

/**
 * Scheduled re-reading of IdP metadata for SAML connections created from a metadata URL. What
 * differs from the connection in use (entity ID, SSO URL, signing certificates) is kept as
 * `pendingMetadata` and never applied by itself: an admin approves (applied to the SSO library's
 * record and the portal's row together) or rejects it.
 */

/** How often one connection's metadata URL is re-read by the job. */
export const METADATA_REFRESH_EVERY_MS = 6 * 60 * 60 * 1000;

const summaries = (idp: IdpInfo) =>
  (idp.certificates ?? []).map((c) => ({ fingerprintSha256: c.fingerprintSha256, notAfter: c.notAfter, subject: c.subject }));

export function metadataStatusOf(c: Connection): MetadataStatus {
  const p = c.pendingMetadata;
  return {
    connectionId: c.id,
    metadataUrl: c.metadataUrl ?? null,
    checkedAt: c.metadataCheckedAt?.toISOString() ?? null,
    pending: p
      ? {
          fetchedAt: p.fetchedAt,
          idp: {
            ...(p.idp.entityId ? { entityId: p.idp.entityId } : {}),
            ...(p.idp.ssoUrl ? { ssoUrl: p.idp.ssoUrl } : {}),
            certificates: summaries(p.idp),
          },
          diff: diffIdp(c.idp, p.idp),
        }
      : null,
  };
}

const invalid = (path: string, message: string) => badRequest(message, [{ path, message }]);

function refreshable(c: Connection): string {
  if (c.type !== 'saml') throw invalid('connectionId', 'metadata refresh applies to SAML connections; this is an OpenID Connect connection');
  if (!c.metadataUrl) throw invalid('connectionId', 'this connection was created from pasted metadata, not a metadata URL; there is nothing to re-fetch');
  return c.metadataUrl;
}

const lockRow = async (tx: Parameters<Parameters<Db['transaction']>[0]>[0], c: Connection) =>
  (await tx.select().from(connections).where(and(eq(connections.tenantId, c.tenantId), eq(connections.id, c.id))).for('update'))[0];

/**
 * Fetches the connection's metadata URL now (safe-fetch rules) and compares. Bad metadata is a
 * 400 naming `metadataUrl`, and nothing is written. Returns whether a new pending change was stored.
 */
export async function checkMetadata(ctx: Ctx, c: Connection, now = new Date()): Promise<{ changed: boolean; connection: Connection }> {
  const url = refreshable(c);
  const xml = await fetchUntrusted(url, { path: 'metadataUrl', allowPrivate: env().ALLOW_PRIVATE_URLS, maxBytes: MAX_METADATA_BYTES });
  const parsed = parseIdpMetadata(xml, 'metadataUrl', now, { allowLoopbackHttp: env().loopbackHttp });
  const next: IdpInfo = { entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates, bindings: parsed.bindings };
  const db = await getDb();
  return db.transaction(async (tx) => {
    const row = await lockRow(tx, c);
    if (!row) throw new AppError(404, 'not_found', 'Connection not found');
    const diff = diffIdp(row.idp, next);
    const target = { type: 'connection', id: row.id, label: connectionLabel(row) };
    if (!diff) {
      const [updated] = await tx.update(connections).set({ metadataCheckedAt: now, pendingMetadata: null }).where(eq(connections.id, row.id)).returning();
      if (row.pendingMetadata) {
        await record(tx, ctx, {
          tenantId: row.tenantId,
          action: 'connection.metadata_pending_cleared',
          target,
          details: { reason: 'the IdP’s metadata matches the connection again', withdrawn: diffIdp(row.idp, row.pendingMetadata.idp) },
        });
      }
      return { changed: false, connection: updated };
    }
    if (row.pendingMetadata && !diffIdp(row.pendingMetadata.idp, next)) {
      const [updated] = await tx.update(connections).set({ metadataCheckedAt: now }).where(eq(connections.id, row.id)).returning();
      return { changed: false, connection: updated };
    }
    // Only the checked values are kept: the pending document is rebuilt from them.
    const rebuilt = buildIdpMetadataXml({ entityId: parsed.entityId, bindings: parsed.bindings, certificates: parsed.certificates });
    const pending: PendingMetadata = { xml: rebuilt, idp: next, fetchedAt: now.toISOString() };
    const [updated] = await tx.update(connections).set({ metadataCheckedAt: now, pendingMetadata: pending }).where(eq(connections.id, row.id)).returning();
    await record(tx, ctx, {
      tenantId: row.tenantId,
      action: 'connection.metadata_changed',
      target,
      details: { metadataUrl: url, diff },
    });
    return { changed: true, connection: updated };
  });
}

/** `POST …/metadata/refresh`: re-fetch now. */
export async function refreshMetadata(ctx: Ctx, tenantId: string, connectionId: string): Promise<MetadataStatus> {
  const c = await getConnection(tenantId, connectionId);
  return metadataStatusOf((await checkMetadata(ctx, c)).connection);
}

export async function getMetadataStatus(tenantId: string, connectionId: string): Promise<MetadataStatus> {
  return metadataStatusOf(await getConnection(tenantId, connectionId));
}

const nothingPending = () =>
  new AppError(409, 'conflict', 'no metadata change is waiting for approval', [{ path: 'connectionId', message: 'no pending metadata' }]);

/**
 * Applies the pending metadata: to the SSO library's record (a new record when the entity ID
 * changed, since the library derives the client ID from it) and then to the portal's row, with
 * `connection.metadata_approved`. If the row cannot be written, the library is set back.
 */
export async function approveMetadata(ctx: Ctx, tenantId: string, connectionId: string): Promise<ConnectionView> {
  const c = await getConnection(tenantId, connectionId);
  refreshable(c);
  if (!c.pendingMetadata) throw nothingPending();
  const parsed = parseIdpMetadata(c.pendingMetadata.xml, 'pendingMetadata', new Date(), { allowLoopbackHttp: env().loopbackHttp });
  const next: IdpInfo = { entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates, bindings: parsed.bindings };
  const diff = diffIdp(c.idp, next);
  const entityChanged = parsed.entityId !== c.idp.entityId;
  const before = await libraryRecord(c.clientId);
  let clientId = c.clientId;
  if (entityChanged) {
    await refuseTakenLibraryKey(c.tenantId, parsed.entityId, 'pendingMetadata');
    const { jackson } = await sso();
    const s = sp();
    const rec = await inTenantScope(c.tenantId, PRODUCT, () =>
      jackson.connectionAPIController.createSAMLConnection({
        defaultRedirectUrl: s.callbackUrl,
        redirectUrl: JSON.stringify([s.callbackUrl]),
        tenant: c.tenantId,
        product: PRODUCT,
        name: c.name ?? undefined,
        rawMetadata: buildIdpMetadataXml({ entityId: parsed.entityId, bindings: parsed.bindings, certificates: parsed.certificates }),
      } as never),
    ).catch((e: { message?: string }) => {
        const message = e?.message ?? 'refused by the SSO library';
        throw new AppError(409, 'conflict', message, [{ path: 'pendingMetadata', message }]);
      });
    clientId = rec.clientID;
  } else {
    await writeLibraryIdp(c.clientId, { certificates: parsed.certificates, bindings: parsed.bindings });
  }
  try {
    const db = await getDb();
    const row = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(connections)
        .set({
          idp: next,
          clientId,
          pendingMetadata: null,
          certWarnedDays: warnedDaysAfterChange(c.idp, next, c.certWarnedDays),
          scopeCeiling: limitAfterIdpChange(ctx, c, next), // approving, the admin vouches for it
        })
        .where(
          and(
            eq(connections.tenantId, c.tenantId),
            eq(connections.id, c.id),
            sql`${connections.idp} = ${JSON.stringify(c.idp)}::jsonb`,
            sql`${connections.pendingMetadata} = ${JSON.stringify(c.pendingMetadata)}::jsonb`,
          ),
        )
        .returning();
      if (!row) throw new AppError(409, 'conflict', 'the connection or its pending metadata changed meanwhile; reload and try again');
      await record(tx, ctx, {
        tenantId: c.tenantId,
        action: 'connection.metadata_approved',
        target: { type: 'connection', id: c.id, label: connectionLabel({ ...c, idp: { entityId: parsed.entityId } }) },
        details: {
          diff,
          before: { entityId: c.idp.entityId ?? null, ssoUrl: c.idp.ssoUrl ?? null, certificates: summaries(c.idp).map((x) => x.fingerprintSha256) },
          after: { entityId: next.entityId, ssoUrl: next.ssoUrl, certificates: summaries(next).map((x) => x.fingerprintSha256) },
        },
      });
      return row;
    });
    if (entityChanged) await removeLibraryConnections([c.clientId]);
    return toConnectionView(row);
  } catch (err) {
    if (entityChanged) {
      await removeLibraryConnections([clientId]);
    } else {
      const now = await findConnectionById(c.id);
      if (now && before) {
        const bindings = now.idp.ssoUrl === c.idp.ssoUrl ? bindingsOf(before) : parsed.bindings;
        await writeLibraryIdp(now.clientId, { certificates: pemCertificates(now.idp), bindings }).catch((e) =>
          log('error', 'could not set the SSO library record back after a failed approval', { connectionId: c.id, err: e }),
        );
      }
    }
    if (isUniqueViolation(err)) {
      const message = `another connection already uses the IdP entity ID ${parsed.entityId}`;
      throw new AppError(409, 'conflict', message, [{ path: 'pendingMetadata', message }]);
    }
    throw err;
  }
}

/** Drops the pending metadata, with `connection.metadata_rejected`. */
export async function rejectMetadata(ctx: Ctx, tenantId: string, connectionId: string): Promise<MetadataStatus> {
  const c = await getConnection(tenantId, connectionId);
  refreshable(c);
  const db = await getDb();
  return db.transaction(async (tx) => {
    const row = await lockRow(tx, c);
    if (!row?.pendingMetadata) throw nothingPending();
    const [updated] = await tx.update(connections).set({ pendingMetadata: null }).where(eq(connections.id, row.id)).returning();
    await record(tx, ctx, {
      tenantId: row.tenantId,
      action: 'connection.metadata_rejected',
      target: { type: 'connection', id: row.id, label: connectionLabel(row) },
      details: { diff: diffIdp(row.idp, row.pendingMetadata.idp), fetchedAt: row.pendingMetadata.fetchedAt },
    });
    return metadataStatusOf(updated);
  });
}

/**
 * The refresh job: the SAML connections with a metadata URL not checked for
 * METADATA_REFRESH_EVERY_MS, oldest first, `limit` per run. A URL that fails is logged and
 * tried again at the next interval.
 */
export async function refreshDueMetadata(
  db: Db,
  now = new Date(),
  opts: { limit?: number; tenantId?: string } = {},
): Promise<{ checked: number; changed: number; failed: number }> {
  const due = new Date(now.getTime() - METADATA_REFRESH_EVERY_MS);
  const rows = await db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.type, 'saml'),
        isNotNull(connections.metadataUrl),
        or(isNull(connections.metadataCheckedAt), lt(connections.metadataCheckedAt, due)),
        opts.tenantId ? eq(connections.tenantId, opts.tenantId) : undefined,
      ),
    )
    .orderBy(sql`${connections.metadataCheckedAt} asc nulls first`, asc(connections.id))
    .limit(opts.limit ?? 25);
  let changed = 0;
  let failed = 0;
  for (const c of rows) {
    try {
      if ((await checkMetadata(SYSTEM, c, now)).changed) changed++;
    } catch (err) {
      failed++;
      log('warn', 'metadata refresh failed', { connectionId: c.id, tenantId: c.tenantId, err });
      await db.update(connections).set({ metadataCheckedAt: now }).where(eq(connections.id, c.id));
    }
  }
  return { checked: rows.length, changed, failed };
}
