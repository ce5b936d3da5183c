import 'server-only';
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import forge from 'node-forge';
import { record } from '../../audit/record';
import type { Ctx } from '../../audit/types';
import { seal, unseal } from '../../auth/sealed';
import { getDb } from '../../db/client';
import { samlSpKeys, type SamlSpKey } from '../../db/schema';
import { AppError } from '../../errors';
import { fingerprint } from './metadata';

/**
 * The portal's SAML encryption key pairs: IdPs encrypt assertions to the certificate published in
 * the SP metadata. `current` always exists; a rollover adds `next`, published beside it (both
 * decrypt) until the operator finishes the rollover, once every IdP encrypts to the new one.
 */
const SEAL_INFO = 'saml sp keys v1';
const KEY_LOCK = 72_190_017;
const VALID_DAYS = 3 * 365;
const DAY_MS = 24 * 3600 * 1000;
/** Other instances see a rollover within this long. */
const CACHE_MS = 30_000;

export type SpEncryptionKey = { id: string; state: 'current' | 'next'; certPem: string; privateKey: KeyObject; privateKeyPem: string; notAfter: Date };
export type SpEncryptionKeyView = { id: string; state: 'current' | 'next'; notAfter: string; createdAt: string; certificate: string };

function newKeyRow(state: 'current' | 'next') {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  const notBefore = new Date(Date.now() - 5 * 60 * 1000);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + VALID_DAYS * DAY_MS);
  const name = [{ name: 'commonName', value: 'SAML assertion encryption' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', critical: true, keyEncipherment: true, dataEncipherment: true },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  const id = fingerprint(new X509Certificate(certPem));
  return { id, use: 'encryption' as const, state, certPem, privateKeySealed: seal(SEAL_INFO, privateKey, id), notAfter: cert.validity.notAfter };
}

const g = globalThis as unknown as { __portalSpKeys?: { at: number; keys: Promise<SpEncryptionKey[]> } };

function toKey(r: SamlSpKey): SpEncryptionKey {
  const privateKeyPem = unseal(SEAL_INFO, r.privateKeySealed, r.id);
  return { id: r.id, state: r.state, certPem: r.certPem, privateKeyPem, privateKey: createPrivateKey(privateKeyPem), notAfter: r.notAfter };
}

async function loadKeys(): Promise<SpEncryptionKey[]> {
  const db = await getDb();
  let rows = await db.select().from(samlSpKeys).where(eq(samlSpKeys.use, 'encryption'));
  if (!rows.some((r) => r.state === 'current')) {
    // The first key, once (under a lock: one instance makes it).
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
      const [current] = await tx.select().from(samlSpKeys).where(eq(samlSpKeys.state, 'current'));
      if (!current) await tx.insert(samlSpKeys).values(newKeyRow('current'));
    });
    rows = await db.select().from(samlSpKeys).where(eq(samlSpKeys.use, 'encryption'));
  }
  return rows.sort((a, b) => (a.state === b.state ? 0 : a.state === 'current' ? -1 : 1)).map(toKey);
}

/** The published encryption keys, current first (cached briefly per process). */
export function spEncryptionKeys(): Promise<SpEncryptionKey[]> {
  const c = g.__portalSpKeys;
  if (c && Date.now() - c.at < CACHE_MS) return c.keys;
  const keys = loadKeys();
  g.__portalSpKeys = { at: Date.now(), keys };
  keys.catch(() => {
    if (g.__portalSpKeys?.keys === keys) g.__portalSpKeys = undefined;
  });
  return keys;
}

const forget = () => {
  g.__portalSpKeys = undefined;
};

export const viewOf = (k: Pick<SpEncryptionKey, 'id' | 'state' | 'notAfter' | 'certPem'> & { createdAt?: Date }): SpEncryptionKeyView => ({
  id: k.id,
  state: k.state,
  notAfter: k.notAfter.toISOString(),
  createdAt: (k.createdAt ?? new Date(0)).toISOString(),
  certificate: k.certPem,
});

export async function listSpEncryptionKeys(): Promise<SpEncryptionKeyView[]> {
  await spEncryptionKeys();
  const db = await getDb();
  const rows = await db.select().from(samlSpKeys).where(eq(samlSpKeys.use, 'encryption'));
  return rows.sort((a, b) => (a.state === b.state ? 0 : a.state === 'current' ? -1 : 1)).map((r) => viewOf(r));
}

/**
 * Starts a rollover: a new key pair, published as `next` beside the current one; both decrypt.
 * Refused (409) while a rollover is under way.
 */
export async function startSpKeyRollover(ctx: Ctx): Promise<SpEncryptionKeyView> {
  await spEncryptionKeys();
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    const [next] = await tx.select().from(samlSpKeys).where(eq(samlSpKeys.state, 'next'));
    if (next) throw new AppError(409, 'conflict', 'a rollover is already under way: finish it (or cancel it) first');
    const [inserted] = await tx.insert(samlSpKeys).values(newKeyRow('next')).returning();
    await record(tx, ctx, {
      tenantId: null,
      action: 'sp_key.rollover_started',
      target: { type: 'sp_key', id: inserted.id },
      details: { use: 'encryption', notAfter: inserted.notAfter.toISOString() },
    });
    return inserted;
  });
  forget();
  return viewOf(row);
}

/**
 * Ends a rollover. `finish`: the next key becomes the only one (IdPs must encrypt to it from now
 * on). `cancel`: the next key is deleted and the current one stays.
 */
export async function endSpKeyRollover(ctx: Ctx, how: 'finish' | 'cancel'): Promise<SpEncryptionKeyView> {
  await spEncryptionKeys();
  const db = await getDb();
  const row = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${KEY_LOCK})`);
    const rows = await tx.select().from(samlSpKeys).where(eq(samlSpKeys.use, 'encryption'));
    const current = rows.find((r) => r.state === 'current')!;
    const next = rows.find((r) => r.state === 'next');
    if (!next) throw new AppError(409, 'conflict', 'no rollover is under way: start one first');
    const [kept] =
      how === 'finish'
        ? (await tx.delete(samlSpKeys).where(eq(samlSpKeys.id, current.id)),
          await tx.update(samlSpKeys).set({ state: 'current' }).where(eq(samlSpKeys.id, next.id)).returning())
        : (await tx.delete(samlSpKeys).where(eq(samlSpKeys.id, next.id)), [current]);
    await record(tx, ctx, {
      tenantId: null,
      action: how === 'finish' ? 'sp_key.rollover_finished' : 'sp_key.rollover_cancelled',
      target: { type: 'sp_key', id: kept.id },
      details: { use: 'encryption', removed: how === 'finish' ? current.id : next.id },
    });
    return kept;
  });
  forget();
  return viewOf(row);
}
