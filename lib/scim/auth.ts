import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { directories, tenants, type Directory } from '../db/schema';
import type { ScimTenant } from './context';

/** A new directory bearer token: 256 random bits, shown once. */
export const newDirectoryToken = () => `scim_${randomBytes(32).toString('base64url')}`;

/** What is stored of a token (SHA-256, hex): enough for a 256-bit random secret. */
export const hashToken = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export type AuthFailure = 'missing_token' | 'unknown_directory' | 'revoked_token' | 'wrong_token';
export type AuthResult =
  | { ok: true; directory: Directory; tenant: ScimTenant }
  | { ok: false; reason: AuthFailure; directory: Directory | null };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

export function bearerToken(req: Request): string | null {
  const h = req.headers.get('authorization');
  const m = h?.match(/^Bearer\s+(\S+)\s*$/i);
  return m ? m[1] : null;
}

/** The directory named in the URL, if this bearer token is its current token (compared in constant time). */
export async function authenticate(db: Executor, directoryId: string, token: string | null): Promise<AuthResult> {
  const row = ID.test(directoryId)
    ? (
        await db
          .select({ d: directories, roleRules: tenants.roleRules, defaultRole: tenants.defaultRole })
          .from(directories)
          .innerJoin(tenants, eq(tenants.id, directories.tenantId))
          .where(eq(directories.id, directoryId))
      )[0]
    : undefined;
  const directory = row?.d ?? null;
  if (!token) return { ok: false, reason: 'missing_token', directory };
  if (!row) return { ok: false, reason: 'unknown_directory', directory: null };
  if (!row.d.tokenHash) return { ok: false, reason: 'revoked_token', directory };
  const given = Buffer.from(hashToken(token), 'hex');
  const stored = Buffer.from(row.d.tokenHash, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return { ok: false, reason: 'wrong_token', directory };
  return { ok: true, directory: row.d, tenant: { id: row.d.tenantId, roleRules: row.roleRules, defaultRole: row.defaultRole } };
}
