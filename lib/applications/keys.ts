import 'server-only';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { seal, unseal } from '../auth/sealed';
import { and, eq, lt, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { conflict } from '../errors';
import { getDb } from '../db/client';
import { oidcSigningKeys, type OidcSigningKey } from '../db/schema';

/**
 * The OpenID Provider's signing keys, in the database so that every instance signs and publishes
 * the same ones. Private keys are sealed (AES-256-GCM, key derived from AUTH_SECRET, the kid as
 * associated data). Life cycle: `next` is published (verify only) before it signs; rotation makes
 * it `current`, and the old current `retired`: still published until `notAfter`, while what it
 * signed may still be presented (8 hours after a scheduled rotation, as ID tokens serve as logout
 * hints as long as their portal session; its tokens' lifetime after a rotation on demand); then it
 * is deleted.
 */
const ALG = 'RS256';
const ROTATE_AFTER_MS = 90 * 24 * 3600 * 1000;
/** A `next` key is published at least this long before it signs (relying parties cache JWKS). */
const PUBLISH_AHEAD_MS = 24 * 3600 * 1000;
/**
 * A rotation on demand promotes a `next` key published at least this long: every instance has
 * rebuilt its provider (30 s, oidcProvider) and relying parties may have refetched the JWKS.
 */
const MIN_PUBLISHED_BEFORE_FORCED_MS = 2 * 60 * 1000;
const KEY_LOCK = 72_190_016;

const SEAL_INFO = 'oidc signing keys v1';
const sealKey = (plaintext: string, kid: string) => seal(SEAL_INFO, plaintext, kid);
const unsealKey = (sealed: string, kid: string) => unseal(SEAL_INFO, sealed, kid);

function newKey(state: 'next' | 'current') {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>;
  // RFC 7638 thumbprint as the kid.
  const kid = createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n })).digest('base64url');
  return {
    kid,
    alg: ALG,
    state,
    privateJwkSealed: sealKey(JSON.stringify(jwk), kid),
    publicJwk: { kty: 'RSA', e: jwk.e, n: jwk.n, kid, alg: ALG, use: 'sig' },
    activatedAt: state === 'current' ? new Date() : null,
  };
}

/** The key rows, creating the first current and next keys once (under a lock: one instance does it). */
export async function signingKeys(): Promise<OidcSigningKey[]> {
  const db = await getDb();
  let rows = await db.select().from(oidcSigningKeys);
  if (rows.some((r) => r.state === 'current')) return rows;
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    const [current] = await tx.select().from(oidcSigningKeys).where(eq(oidcSigningKeys.state, 'current'));
    if (!current) await tx.insert(oidcSigningKeys).values([newKey('current'), newKey('next')]);
  });
  rows = await db.select().from(oidcSigningKeys);
  return rows;
}

/** Whether this instance's AUTH_SECRET opens a sealed key (every instance must share it). */
export function unsealable(row: { kid: string; private_jwk_sealed: string }): boolean {
  try {
    unsealKey(row.private_jwk_sealed, row.kid);
    return true;
  } catch {
    return false;
  }
}

/** A short fingerprint of the key set: a provider is rebuilt when it changes. */
export const keySetVersion = (rows: OidcSigningKey[]) =>
  rows
    .map((r) => `${r.kid}:${r.state}`)
    .sort()
    .join(',');

/** The signing key first, then the one published ahead, then the retired ones. */
const STATE_ORDER = { current: 0, next: 1, retired: 2 } as const;

/** The provider's `jwks`: the current key first (it signs); the others verify only, but are published. */
export function jwksOf(rows: OidcSigningKey[]): { keys: Record<string, unknown>[] } {
  return {
    keys: [...rows]
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])
      .map((r) => ({
        ...(JSON.parse(unsealKey(r.privateJwkSealed, r.kid)) as Record<string, unknown>),
        kid: r.kid,
        alg: r.alg,
        use: 'sig',
        ...(r.state === 'current' ? {} : { key_ops: ['verify'] }),
      })),
  };
}

/**
 * One rotation: next → current, current → retired (published `keepRetiredSeconds` from now,
 * and 5 minutes), a new next; retired keys past their time are deleted. `force` skips the schedule;
 * `by` (an operator, on demand) is recorded as `oidc_signing_key.rotated`.
 */
export async function rotateSigningKeys(opts: { force?: boolean; keepRetiredSeconds?: number; now?: Date; by?: Ctx } = {}): Promise<boolean> {
  const now = opts.now ?? new Date();
  const db = await getDb();
  await signingKeys();
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    await tx.delete(oidcSigningKeys).where(and(eq(oidcSigningKeys.state, 'retired'), lt(oidcSigningKeys.notAfter, now)));
    const rows = await tx.select().from(oidcSigningKeys);
    const current = rows.find((r) => r.state === 'current');
    const next = rows.find((r) => r.state === 'next');
    if (!current || !next) return false;
    const due = now.getTime() - (current.activatedAt ?? current.createdAt).getTime() > ROTATE_AFTER_MS && now.getTime() - next.createdAt.getTime() > PUBLISH_AHEAD_MS;
    if (!opts.force && !due) return false;
    if (opts.by) {
      // Its age by the database's clock, which set createdAt (an instance's clock may be ahead).
      const { rows } = (await tx.execute(sql`select extract(epoch from now() - ${oidcSigningKeys.createdAt})::float8 as age from ${oidcSigningKeys} where ${oidcSigningKeys.kid} = ${next.kid}`)) as unknown as { rows: { age: number }[] };
      const age = Number(rows[0]?.age ?? 0);
      if (age * 1000 < MIN_PUBLISHED_BEFORE_FORCED_MS) {
        throw conflict('next', `the next key was published ${Math.round(age)} s ago; it may sign once it has been published for ${MIN_PUBLISHED_BEFORE_FORCED_MS / 1000} s (instances and relying parties must see it first)`);
      }
    }
    const keepFor = (opts.keepRetiredSeconds ?? 3600) * 1000 + 5 * 60 * 1000;
    await tx.update(oidcSigningKeys).set({ state: 'retired', notAfter: new Date(now.getTime() + keepFor) }).where(eq(oidcSigningKeys.kid, current.kid));
    await tx.update(oidcSigningKeys).set({ state: 'current', activatedAt: now }).where(eq(oidcSigningKeys.kid, next.kid));
    await tx.insert(oidcSigningKeys).values(newKey('next'));
    if (opts.by) {
      await record(tx, opts.by, {
        tenantId: null,
        action: 'oidc_signing_key.rotated',
        target: { type: 'oidc_signing_key', id: next.kid, label: null },
        details: { before: { current: current.kid }, after: { current: next.kid } },
      });
    }
    return true;
  });
}

/** The signing keys as the operator sees them (public parts only): which signs, which is published ahead, which until when. */
export async function listSigningKeys(): Promise<{ data: { kid: string; alg: string; state: 'next' | 'current' | 'retired'; createdAt: string; activatedAt: string | null; publishedUntil: string | null }[] }> {
  const rows = await signingKeys();
  return {
    data: [...rows]
      .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || b.createdAt.getTime() - a.createdAt.getTime())
      .map((r) => ({ kid: r.kid, alg: r.alg, state: r.state, createdAt: r.createdAt.toISOString(), activatedAt: r.activatedAt?.toISOString() ?? null, publishedUntil: r.notAfter?.toISOString() ?? null })),
  };
}
