import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dbHandle } from './db/client';
import { unsealable } from './applications/keys';
import { log } from './log';

const TIMEOUT_MS = 3000;
/** What anyone asking is told; the driver's words (hosts, addresses, user names) go to the log only. */
const UNAVAILABLE = 'the database is unavailable (see the log)';

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()),
  ]);
}

/** Is the database reachable? Answers within a few seconds either way. */
export async function checkHealth(): Promise<{ ok: boolean; database: { kind?: string; ok: boolean; error?: string } }> {
  try {
    const h = await withTimeout(dbHandle(), 'database');
    await withTimeout(h.query('select 1'), 'database');
    return { ok: true, database: { kind: h.kind, ok: true } };
  } catch (err) {
    log('warn', 'health check: the database is unavailable', { err });
    return { ok: false, database: { ok: false, error: UNAVAILABLE } };
  }
}

/** The newest migration this build carries (drizzle/meta/_journal.json `when`, as drizzle stores it). */
function newestMigration(): number {
  const journal = JSON.parse(readFileSync(path.join(process.cwd(), 'drizzle', 'meta', '_journal.json'), 'utf8')) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((e) => e.when));
}

/**
 * Readiness, for load balancers: the database answers, every migration of this build is applied,
 * and the OpenID Provider's signing keys are there. (`/api/health` stays the liveness check.)
 */
export async function checkReadiness(): Promise<{ ok: boolean; checks: Record<string, { ok: boolean; detail?: string }> }> {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    const h = await withTimeout(dbHandle(), 'database');
    await withTimeout(h.query('select 1'), 'database');
    checks.database = { ok: true };
    const [m] = await withTimeout(h.query<{ last: string | null }>('select max(created_at)::text as last from drizzle.__drizzle_migrations'), 'database');
    const applied = Number(m?.last ?? 0);
    checks.migrations = applied >= newestMigration() ? { ok: true } : { ok: false, detail: 'this build has migrations the database lacks' };
    const [k] = await withTimeout(h.query<{ kid: string; private_jwk_sealed: string }>("select kid, private_jwk_sealed from oidc_signing_keys where state = 'current' limit 1"), 'database');
    checks.keys = !k
      ? { ok: false, detail: 'no signing key yet (created at the first OpenID request or start)' }
      : unsealable(k)
        ? { ok: true }
        : { ok: false, detail: 'the signing keys are sealed under another AUTH_SECRET: give every instance the same AUTH_SECRET' };
  } catch (err) {
    log('warn', 'readiness check: the database is unavailable', { err });
    checks.database ??= { ok: false, detail: UNAVAILABLE };
  }
  return { ok: Object.values(checks).length === 3 && Object.values(checks).every((c) => c.ok), checks };
}
