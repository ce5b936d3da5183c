import { and, eq, lte, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import type { Executor } from '../db/client';
import { scimRequests, type ScimOutcome } from '../db/schema';
import { newId } from '../ids';
import { log } from '../log';

/** Rows kept per directory; older ones are pruned now and then. */
export const REQUEST_LOG_KEEP = 10_000;

export type RequestLogEntry = {
  directoryId: string;
  tenantId: string;
  method: string;
  path: string;
  status: number;
  outcome: ScimOutcome;
  summary: string | null;
  ip: string | null;
  durationMs: number;
};

/** Never the token, never a password: callers pass a path (with query) and a summary they wrote. */
export async function logRequest(ex: Executor, e: RequestLogEntry, ...also: (SQLWrapper | null)[]): Promise<void> {
  await ex.execute(requestLogInsert(e, also));
}

/**
 * The log row's INSERT; `also` (other INSERTs) are sent in the same statement, as CTEs before it,
 * after `auth` (a query the others may read, see lib/scim/auth.ts `authGuard`) when given.
 * One statement is atomic: either every row of it is stored or none.
 */
export function requestLogInsert(e: RequestLogEntry, also: (SQLWrapper | null)[] = [], auth?: SQL): SQL {
  const insert = sql`insert into scim_requests (id, directory_id, tenant_id, method, path, status, outcome, summary, ip, duration_ms)
    values (${newId('sreq')}, ${e.directoryId}, ${e.tenantId}, ${e.method}, ${e.path.slice(0, 1000)}, ${e.status}, ${e.outcome},
      ${e.summary ? e.summary.slice(0, 2000) : null}, ${e.ip}, ${Math.max(0, Math.round(e.durationMs))})`;
  const ctes = [...(auth ? [sql`auth as (${auth})`] : []), ...also.filter((a): a is SQLWrapper => a !== null).map((a, i) => sql`${sql.raw(`w${i}`)} as (${a})`)];
  return ctes.length ? sql`with ${sql.join(ctes, sql`, `)} ${insert}` : insert;
}

/** Drops a directory's log rows beyond the newest `keep`. */
export async function pruneRequestLog(ex: Executor, directoryId: string, keep = REQUEST_LOG_KEEP): Promise<void> {
  await ex
    .delete(scimRequests)
    .where(
      and(
        eq(scimRequests.directoryId, directoryId),
        lte(scimRequests.id, sql`(select id from ${scimRequests} where directory_id = ${directoryId} order by id desc offset ${keep} limit 1)`),
      ),
    );
}

/** About once every 500 requests, in the background: {@link pruneRequestLog}. */
export function maybePrune(ex: Executor, directoryId: string): void {
  if (Math.random() > 1 / 500) return;
  void pruneRequestLog(ex, directoryId).catch((err) => log('warn', 'scim request log pruning failed', { directoryId, err }));
}

/** The HTTP status's typed outcome for a failed request. */
export function outcomeOf(status: number): ScimOutcome {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too_large';
  if (status >= 500) return 'error';
  return 'invalid';
}
