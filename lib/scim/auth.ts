import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { eq, sql, type SQL } from 'drizzle-orm';
import { pgError } from '../errors';
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
  const ok = { ok: true as const, directory: row.d, tenant: { id: row.d.tenantId, roleRules: row.roleRules, defaultRole: row.defaultRole } };
  remember(directoryId, row.d.tokenHash, ok);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Accepted tokens, remembered for the single-statement create (lib/scim/server.ts). What is
// remembered is never trusted on its own: the statement re-checks it in the database (see
// {@link authGuard}), so a revoked or rotated token, a renamed directory or changed role mappings
// make the statement fail and the request take the full path. Per process, bounded.
// ---------------------------------------------------------------------------------------------

export type AuthOk = Extract<AuthResult, { ok: true }>;
type Accepted = AuthOk;
const accepted = new Map<string, { tokenHash: string; auth: Accepted }>();
const REMEMBERED_DIRECTORIES = 1000;

function remember(directoryId: string, tokenHash: string, auth: Accepted): void {
  accepted.delete(directoryId);
  accepted.set(directoryId, { tokenHash, auth });
  if (accepted.size > REMEMBERED_DIRECTORIES) accepted.delete(accepted.keys().next().value!);
}

/** This directory's last accepted authentication, if it was for this very token. */
export function recentlyAccepted(directoryId: string, token: string | null): Accepted | null {
  const hit = token ? accepted.get(directoryId) : undefined;
  if (!hit) return null;
  const given = Buffer.from(hashToken(token!), 'hex');
  const stored = Buffer.from(hit.tokenHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored) ? hit.auth : null;
}

export function forgetAccepted(directoryId: string): void {
  accepted.delete(directoryId);
}

/**
 * A query giving the tenant id only while everything a remembered authentication stands for still
 * holds: this token is the directory's current one, and the directory's name (the audit actor's
 * label) and limit (the new users' limit) and the tenant's role mappings (the roles it computes)
 * are unchanged. Inserts take their
 * `tenant_id` from it, so if any of that changed the statement fails on NOT NULL and stores nothing.
 */
export function authGuard(a: Pick<Accepted, 'directory' | 'tenant'>, token: string): SQL {
  // The tenant row held (FOR KEY SHARE): a change of its role mappings under way (which locks it
  // FOR UPDATE) is waited for, and then compared.
  return sql`select d.tenant_id from directories d join tenants t on t.id = d.tenant_id
    where d.id = ${a.directory.id} and d.tenant_id = ${a.tenant.id} and d.token_hash = ${hashToken(token)} and d.name = ${a.directory.name}
      and coalesce(to_jsonb(d.scope_ceiling), 'null'::jsonb) = ${JSON.stringify(a.directory.scopeCeiling)}::jsonb
      and t.role_rules = ${JSON.stringify(a.tenant.roleRules)}::jsonb and t.default_role is not distinct from ${a.tenant.defaultRole}
    for key share of t`;
}

/**
 * The tenant's role mappings as they are now, its row held for the transaction `tx` (FOR KEY
 * SHARE): a change of them ("save and apply", which locks the row FOR UPDATE) waits for the
 * transaction, or the transaction for it. Null when the tenant is gone.
 */
export async function heldTenant(tx: Executor, tenantId: string): Promise<ScimTenant | null> {
  const [row] = await tx
    .select({ id: tenants.id, roleRules: tenants.roleRules, defaultRole: tenants.defaultRole })
    .from(tenants)
    .where(eq(tenants.id, tenantId))
    .for('key share');
  return row ?? null;
}

/** Did a statement fail because its {@link authGuard} found nothing? */
export function guardRefused(err: unknown): boolean {
  const e = pgError(err) as { code?: string; column?: string } | null;
  return e?.code === '23502' && e.column === 'tenant_id';
}
