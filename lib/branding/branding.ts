import 'server-only';
import { eq } from 'drizzle-orm';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { branding, type BrandingRow } from '../db/schema';
import type { BrandingPatch, BrandingView } from '../validation/branding';

/**
 * The operator's branding of the pages customers and their employees see (sign-in, sign-in
 * errors, set-up links, the demo): product name, logo and accent colour. Read often, changed
 * rarely: kept per process and read again every few seconds, so every instance follows a change.
 */
export const DEFAULT_PRODUCT_NAME = 'SSO Portal';
const ID = 'default';
const FRESH_MS = 10_000;

export type Branding = { productName: string; accentColor: string | null; accentForeground: string | null; logoUrl: string | null; custom: boolean };

const g = globalThis as unknown as { __portalBranding?: { at: number; row: BrandingRow | null; loading?: Promise<void> } };

const view = (row: BrandingRow | null): BrandingView => ({
  productName: row?.productName ?? null,
  accentColor: row?.accentColor ?? null,
  logoUrl: row?.logo ? `/branding/logo?v=${row.updatedAt.getTime()}` : null,
  updatedAt: row?.updatedAt.toISOString() ?? null,
});

/** Black or white, whichever reads better on the accent (WCAG relative luminance). */
function foregroundOn(hex: string): string {
  const [r, g2, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * r + 0.7152 * g2 + 0.0722 * b;
  return (1.05 / (l + 0.05) >= (l + 0.05) / 0.05) ? '#ffffff' : '#09090b';
}

const toBranding = (row: BrandingRow | null): Branding => ({
  productName: row?.productName ?? DEFAULT_PRODUCT_NAME,
  accentColor: row?.accentColor ?? null,
  accentForeground: row?.accentColor ? foregroundOn(row.accentColor) : null,
  logoUrl: view(row).logoUrl,
  custom: !!(row?.productName || row?.accentColor || row?.logo),
});

async function load(): Promise<BrandingRow | null> {
  const db = await getDb();
  const [row] = await db.select().from(branding).where(eq(branding.id, ID));
  return row ?? null;
}

/** The branding, fresh within a few seconds. */
export async function getBranding(): Promise<Branding> {
  const c = g.__portalBranding;
  if (c && Date.now() - c.at < FRESH_MS) return toBranding(c.row);
  const row = await load();
  g.__portalBranding = { at: Date.now(), row };
  return toBranding(row);
}

/**
 * The branding as last read by this process, for pages built without waiting (the sign-in's own
 * error pages); starts a refresh when it is stale. Defaults until the first read.
 */
export function currentBranding(): Branding {
  const c = g.__portalBranding;
  if (!c || Date.now() - c.at >= FRESH_MS) {
    if (!c?.loading) {
      const loading = load()
        .then((row) => void (g.__portalBranding = { at: Date.now(), row }))
        .catch(() => {
          if (g.__portalBranding) g.__portalBranding.loading = undefined;
        });
      g.__portalBranding = { at: c?.at ?? 0, row: c?.row ?? null, loading };
    }
  }
  return toBranding(g.__portalBranding?.row ?? null);
}

export async function brandingView(): Promise<BrandingView> {
  return view(await load());
}

/** The logo to serve, or null. */
export async function brandingLogo(): Promise<{ type: string; bytes: Buffer } | null> {
  const row = await load();
  return row?.logo && row.logoType ? { type: row.logoType, bytes: Buffer.from(row.logo, 'base64') } : null;
}

/** Changes the branding (null clears a field); records `branding.updated` in the operator's log. */
export async function updateBranding(ctx: Ctx, patch: BrandingPatch): Promise<BrandingView> {
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    const [before] = await tx.select().from(branding).where(eq(branding.id, ID)).for('update');
    const next = {
      productName: patch.productName === undefined ? (before?.productName ?? null) : patch.productName,
      accentColor: patch.accentColor === undefined ? (before?.accentColor ?? null) : patch.accentColor,
      logo: patch.logo === undefined ? (before?.logo ?? null) : (patch.logo?.base64 ?? null),
      logoType: patch.logo === undefined ? (before?.logoType ?? null) : (patch.logo?.type ?? null),
      updatedAt: new Date(),
    };
    const [after] = await tx
      .insert(branding)
      .values({ id: ID, ...next })
      .onConflictDoUpdate({ target: branding.id, set: next })
      .returning();
    const summary = (r: Partial<BrandingRow> | undefined) => ({ productName: r?.productName ?? null, accentColor: r?.accentColor ?? null, logo: r?.logo ? `${r.logoType}, ${Buffer.from(r.logo, 'base64').length} bytes` : null });
    await record(tx, ctx, { tenantId: null, action: 'branding.updated', target: { type: 'branding', id: ID }, details: changes(summary(before), summary(after)) ?? {} });
    return after;
  });
  g.__portalBranding = { at: Date.now(), row };
  return view(row);
}
