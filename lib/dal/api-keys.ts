import 'server-only';
import { createHash, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { apiKeys, type ApiKey } from '../db/schema';
import { env } from '../env';
import { notFound } from '../errors';
import { newId, newSecret } from '../ids';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export type ApiKeyView = Omit<ApiKey, 'keyHash'>;
const view = ({ keyHash: _h, ...rest }: ApiKey): ApiKeyView => rest;

/** Creates a key; the plain key is returned this once and only its hash is stored. */
export async function createApiKey(ctx: Ctx, name: string): Promise<{ key: string; apiKey: ApiKeyView }> {
  const key = newSecret('sk_op', 32);
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ id: newId('key'), name, prefix: key.slice(0, 12), keyHash: sha256(key), createdBy: ctx.actor.id ?? null })
      .returning();
    await record(tx, ctx, {
      tenantId: null,
      action: 'api_key.created',
      target: { type: 'api_key', id: row.id, label: name },
      details: { after: { name, prefix: row.prefix } },
    });
    return { key, apiKey: view(row) };
  });
}

export async function listApiKeys(): Promise<ApiKeyView[]> {
  const db = await getDb();
  return (await db.select().from(apiKeys).orderBy(desc(apiKeys.id))).map(view);
}

export async function revokeApiKey(ctx: Ctx, id: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning();
    if (!row) throw notFound('API key');
    await record(tx, ctx, { tenantId: null, action: 'api_key.revoked', target: { type: 'api_key', id, label: row.name } });
  });
}

export type KeyPrincipal = { keyId: string | null; label: string };

/** Checks a bearer key: OPERATOR_API_KEY or an unrevoked console-made key. */
export async function authenticateApiKey(key: string): Promise<KeyPrincipal | null> {
  if (!key || key.length > 200) return null;
  const boot = env().OPERATOR_API_KEY;
  if (boot) {
    const a = Buffer.from(sha256(key));
    if (timingSafeEqual(a, Buffer.from(sha256(boot)))) return { keyId: null, label: 'OPERATOR_API_KEY' };
  }
  const db = await getDb();
  const [row] = await db
    .update(apiKeys)
    .set({ lastUsedAt: new Date() })
    .where(
      and(
        eq(apiKeys.keyHash, sha256(key)),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, sql`now() - interval '1 minute'`)),
      ),
    )
    .returning();
  if (row) return { keyId: row.id, label: row.name };
  const [found] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.keyHash, sha256(key)), isNull(apiKeys.revokedAt)));
  return found ? { keyId: found.id, label: found.name } : null;
}
