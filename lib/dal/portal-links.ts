import 'server-only';
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { record, recordMany } from '../audit/record';
import type { Ctx } from '../audit/types';
import { TENANT_SCOPES, type TenantScope } from '../auth/permissions';
import { getDb } from '../db/client';
import { portalLinks, sessions, tenants, type PortalLink } from '../db/schema';
import { env } from '../env';
import { notFound } from '../errors';
import { newId } from '../ids';
import { sessionVerdict } from '../policies/session';
import type { PortalLinkCreate } from '../validation/portal-links';
import { getTenant } from './tenants';

export const PORTAL_LINK_DEFAULT_TTL_SECONDS = 24 * 3600;
/** How long the admin's console session lasts once the link is opened (never past the link's expiry). */
const SESSION_TTL_SECONDS = 8 * 3600;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function portalLinkUrl(token: string): string {
  return `${env().PUBLIC_URL}/setup-link/${token}`;
}

/** A setup link; the URL (with its token) is returned this once. */
export async function createPortalLink(ctx: Ctx, tenantId: string, input: PortalLinkCreate) {
  const tenant = await getTenant(tenantId);
  const token = randomBytes(32).toString('base64url');
  const scopes = input.scopes ?? [...TENANT_SCOPES];
  const expiresAt = new Date(Date.now() + (input.expiresInSeconds ?? PORTAL_LINK_DEFAULT_TTL_SECONDS) * 1000);
  const db = await getDb();
  const link = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(portalLinks)
      .values({ id: newId('plk'), tenantId: tenant.id, tokenHash: sha256(token), scopes, expiresAt, createdBy: ctx.actor.id ?? null })
      .returning();
    await record(tx, ctx, {
      tenantId: tenant.id,
      action: 'portal_link.created',
      target: { type: 'portal_link', id: row.id },
      details: { after: { scopes, expiresAt: expiresAt.toISOString() } },
    });
    return row;
  });
  return { id: link.id, url: portalLinkUrl(token), scopes: link.scopes as TenantScope[], expiresAt: link.expiresAt.toISOString() };
}

export type PortalLinkState = 'unused' | 'in_use' | 'expired' | 'revoked';
export type PortalLinkListItem = { id: string; scopes: TenantScope[]; createdAt: Date; expiresAt: Date; usedAt: Date | null; state: PortalLinkState };

/** A tenant's setup links, newest first (the URLs are never stored: only their hashes). */
export async function listPortalLinks(tenantId: string, limit = 50): Promise<PortalLinkListItem[]> {
  const db = await getDb();
  const rows = await db.select().from(portalLinks).where(eq(portalLinks.tenantId, tenantId)).orderBy(desc(portalLinks.createdAt)).limit(limit);
  const now = new Date();
  return rows.map((l) => ({
    id: l.id,
    scopes: l.scopes as TenantScope[],
    createdAt: l.createdAt,
    expiresAt: l.expiresAt,
    usedAt: l.usedAt,
    state: l.revokedAt ? 'revoked' : l.expiresAt <= now ? 'expired' : l.usedAt ? 'in_use' : 'unused',
  }));
}

/** Revokes a link; a console session opened with it ends at once. */
export async function revokePortalLink(ctx: Ctx, tenantId: string, id: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(portalLinks)
      .set({ revokedAt: new Date() })
      .where(and(eq(portalLinks.tenantId, tenantId), eq(portalLinks.id, id), isNull(portalLinks.revokedAt)))
      .returning();
    if (!row) throw notFound('Portal link');
    await tx.delete(sessions).where(eq(sessions.subjectId, id));
    await record(tx, ctx, { tenantId, action: 'portal_link.revoked', target: { type: 'portal_link', id } });
  });
}

/**
 * What opening a setup link would do, without using it (a GET, which mail scanners and link
 * previews also send): usable, with the tenant and scopes to show, or why not. Writes nothing.
 */
export async function peekPortalLink(
  token: string,
  sameBrowser: { linkId: string; sessionId: string } | null = null,
): Promise<{ ok: true; tenantName: string; scopes: string[]; expiresAt: Date; sameBrowser: boolean } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'already_used' }> {
  const db = await getDb();
  const [row] = await db
    .select({ link: portalLinks, tenantName: tenants.name })
    .from(portalLinks)
    .innerJoin(tenants, eq(tenants.id, portalLinks.tenantId))
    .where(eq(portalLinks.tokenHash, sha256(token)));
  if (!row) return { ok: false, reason: 'unknown' };
  const { link } = row;
  const now = new Date();
  if (link.revokedAt) return { ok: false, reason: 'revoked' };
  if (link.expiresAt <= now) return { ok: false, reason: 'expired' };
  const own = !!link.usedAt && sameBrowser?.linkId === link.id;
  if (link.usedAt && !own) return { ok: false, reason: 'already_used' };
  return { ok: true, tenantName: row.tenantName, scopes: link.scopes, expiresAt: link.expiresAt, sameBrowser: own };
}

export type LinkUse =
  | { ok: true; link: PortalLink; sessionId: string; ttlSeconds: number }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'already_used'; tenantId: string | null };

/**
 * Opens a setup link in this browser: the first use starts a console session scoped to the
 * link's sections and binds the link to it. A later use is refused, unless it comes from that
 * browser (`sameBrowser`: the link's session named by the request's cookie, still live), which
 * continues its session. Every use is audited as portal_link.used, success or failure.
 */
export async function usePortalLink(
  meta: Omit<Ctx, 'actor'>,
  token: string,
  sameBrowser: { linkId: string; sessionId: string } | null = null,
): Promise<LinkUse> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [link] = await tx.select().from(portalLinks).where(eq(portalLinks.tokenHash, sha256(token))).for('update');
    if (!link) return { ok: false, reason: 'unknown', tenantId: null } as const;
    const ctx = { ...meta, actor: { type: 'admin' as const, id: link.id, label: 'setup link' } };
    const target = { type: 'portal_link', id: link.id };
    const now = new Date();
    const reason = link.revokedAt ? 'revoked' : link.expiresAt <= now ? 'expired' : link.usedAt ? 'already_used' : null;
    if (reason === 'already_used' && sameBrowser?.linkId === link.id) {
      const [own] = await tx
        .select()
        .from(sessions)
        .where(and(eq(sessions.id, sameBrowser.sessionId), eq(sessions.subjectId, link.id)));
      const [t] = own ? await tx.select({ policy: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, link.tenantId)) : [];
      // The tenant's session lifetime and idle timeout apply here as on every request.
      if (own && sessionVerdict(t?.policy, own, now).live) {
        await record(tx, ctx, { tenantId: link.tenantId, action: 'portal_link.used', target, details: { scopes: link.scopes, sameBrowser: true } });
        return { ok: true, link, sessionId: own.id, ttlSeconds: Math.max(1, Math.floor((own.expiresAt.getTime() - now.getTime()) / 1000)) } as const;
      }
    }
    if (reason) {
      await record(tx, ctx, { tenantId: link.tenantId, action: 'portal_link.used', outcome: 'failure', reason, target });
      return { ok: false, reason, tenantId: link.tenantId } as const;
    }
    const ttlSeconds = Math.min(SESSION_TTL_SECONDS, Math.floor((link.expiresAt.getTime() - now.getTime()) / 1000));
    const sessionId = newId('ses');
    await tx.insert(sessions).values({
      id: sessionId,
      kind: 'portal_link',
      subjectId: link.id,
      tenantId: link.tenantId,
      scopes: link.scopes,
      expiresAt: new Date(now.getTime() + ttlSeconds * 1000),
    });
    await tx.update(portalLinks).set({ usedAt: now }).where(eq(portalLinks.id, link.id));
    await recordMany(tx, ctx, [
      { tenantId: link.tenantId, action: 'portal_link.used', target, details: { scopes: link.scopes } },
      // The IT admin is signed in to the tenant console from here on.
      { tenantId: link.tenantId, action: 'admin.signed_in', target, details: { via: 'setup_link', sessionId, scopes: link.scopes } },
    ]);
    return { ok: true, link, sessionId, ttlSeconds } as const;
  });
}
