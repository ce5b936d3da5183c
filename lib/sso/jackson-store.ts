import 'server-only';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import type { DatabaseDriver, Encrypted, Index, Records, SortOrder } from '@boxyhq/saml-jackson';
import { dbHandle, type DbHandle } from '../db/client';
import { log } from '../log';

/**
 * Storage driver for @boxyhq/saml-jackson over the portal's own database (tables in
 * lib/db/schema/sso.ts, created by the portal's migrations — never checked here).
 *
 * Contract, as the library uses it (see node_modules/@boxyhq/saml-jackson/dist/db/db.js, store.js
 * and the reference driver dist/db/sql/sql.js):
 * - `val` is an {@link Encrypted} `{ value, iv?, tag? }`: the library JSON-encodes and (with
 *   `db.encryptionKey`) encrypts before calling us and decrypts what we return. We store it verbatim.
 * - keys and index values arrive as ripemd160 digests; namespaces and index names are plain.
 * - `put` upserts and *adds* index rows; it never drops index rows of a live key (the library
 *   updates records without repeating their indexes and expects them to keep working).
 * - `ttl` is in seconds; 0 means no expiry. Expired rows are invisible to every read at once
 *   (stricter than sql.js, which only drops them in its sweep) and are deleted by {@link JacksonDriver.cleanupExpired}.
 * - lists are offset/limit pages; `pageToken` is ignored and never returned (as in sql.js).
 *   getAll orders by creation (an overwrite keeps its place), getByIndex by when the index row
 *   was added; both newest first unless sortOrder is 'ASC'.
 *
 * Every method is one SQL statement, so no pool client has to be pinned for a transaction.
 */
export type JacksonDriver = DatabaseDriver & {

  getCount(namespace: string, idx?: Index): Promise<number>;
  /** Resolves to whether a row was there to delete. */
  delete(namespace: string, key: string): Promise<boolean>;
  /** Deletes expired rows (and their index rows), `limit` per statement, until none are left. Returns how many. */
  cleanupExpired(limit?: number): Promise<number>;
};

export type JacksonDriverOptions = {
  /** Largest page a list returns, and the page size when none is asked for. Default 50, as the library's `db.pageLimit`. */
  pageLimit?: number;
  /** Seconds between background sweeps of expired rows; 0 turns the timer off. Default 300. */
  cleanupIntervalSeconds?: number;
  /** Rows deleted per sweep statement. Default 1000, as the library's `db.cleanupLimit`. */
  cleanupLimit?: number;
};

type Row = { value: string; iv: string | null; tag: string | null };

const LIVE = '(e.expires_at is null or e.expires_at > now())';

const SQL_GET = `select e.value, e.iv, e.tag from sso_store_entries e
  where e.namespace = $1 and e.key = $2 and ${LIVE}`;

// One statement: upsert the entry, add missing index rows. If the row being replaced had expired
// (but was not swept yet) it starts afresh: new created_at, and its old index rows go, except
// the ones this put asks for again (deleting and re-adding one row in one statement would clash).
const SQL_PUT = `with prev as (
    select e.expires_at <= now() as dead from sso_store_entries e where e.namespace = $1 and e.key = $2
  ), entry as (
    insert into sso_store_entries as e (namespace, key, value, iv, tag, expires_at)
    values ($1, $2, $3, $4, $5, case when $6::float8 > 0 then now() + $6::float8 * interval '1 second' end)
    on conflict (namespace, key) do update set
      value = excluded.value, iv = excluded.iv, tag = excluded.tag,
      expires_at = excluded.expires_at, modified_at = now(),
      created_at = case when e.expires_at <= now() then now() else e.created_at end
    returning e.key
  ), wanted as (
    select distinct w.name, w.value from unnest($7::text[], $8::text[]) as w(name, value)
  ), stale as (
    delete from sso_store_indexes i
    where i.namespace = $1 and i.key = $2
      and exists (select 1 from prev where prev.dead)
      and not exists (select 1 from wanted w where w.name = i.index_name and w.value = i.index_value)
  ), added as (
    insert into sso_store_indexes (namespace, index_name, index_value, key)
    select $1, w.name, w.value, entry.key from wanted w cross join entry
    on conflict do nothing
  )
  select 1 as ok`;

const listAll = (dir: 'asc' | 'desc') => `select e.value, e.iv, e.tag from sso_store_entries e
  where e.namespace = $1 and ${LIVE}
  order by e.created_at ${dir}, e.seq ${dir} limit $2 offset $3`;
const SQL_ALL = { asc: listAll('asc'), desc: listAll('desc') };

const listByIndex = (dir: 'asc' | 'desc') => `select e.value, e.iv, e.tag
  from sso_store_indexes i join sso_store_entries e on e.namespace = i.namespace and e.key = i.key
  where i.namespace = $1 and i.index_name = $2 and i.index_value = $3 and ${LIVE}
  order by i.id ${dir} limit $4 offset $5`;
const SQL_BY_INDEX = { asc: listByIndex('asc'), desc: listByIndex('desc') };
/** The same, limited to entries that also carry the index `tenantProduct` = $6 (see {@link inTenantScope}). */
const SQL_BY_INDEX_IN_TENANT = `select e.value, e.iv, e.tag
  from sso_store_indexes i join sso_store_entries e on e.namespace = i.namespace and e.key = i.key
  where i.namespace = $1 and i.index_name = $2 and i.index_value = $3 and ${LIVE}
    and exists (select 1 from sso_store_indexes t where t.namespace = e.namespace and t.key = e.key
      and t.index_name = 'tenantProduct' and t.index_value = $6)
  order by i.id limit $4 offset $5`;

const tenantScope = new AsyncLocalStorage<{ tenantProduct: string }>();

/**
 * Runs `fn` (a connection create or metadata change in the SSO library) seeing only this
 * tenant's SAML connections when the library looks them up by IdP entity ID. The library refuses
 * an entity ID that another tenant's connection has ('EntityID already exists for different
 * tenant'), but customers of one IdP product can share an entity ID (JumpCloud's default is
 * "JumpCloud"), and sign-in tells their connections apart by the flow, not by the entity ID.
 */
export function inTenantScope<T>(tenant: string, product: string, fn: () => Promise<T>): Promise<T> {
  return tenantScope.run({ tenantProduct: jacksonStoreKey(`${tenant}:${product}`) }, fn);
}

const SQL_COUNT = `select count(*)::int as n from sso_store_entries e where e.namespace = $1 and ${LIVE}`;
const SQL_COUNT_INDEX = `select count(*)::int as n
  from sso_store_indexes i join sso_store_entries e on e.namespace = i.namespace and e.key = i.key
  where i.namespace = $1 and i.index_name = $2 and i.index_value = $3 and ${LIVE}`;

const SQL_DELETE = `delete from sso_store_entries where namespace = $1 and key = $2 returning 1 as ok`;
const SQL_DELETE_MANY = `delete from sso_store_entries where namespace = $1 and key = any($2::text[])`;

// Oldest-expired first; rows another sweep (or a reviving put) holds are skipped, not waited for.
const SQL_SWEEP = `with doomed as (
    select e.namespace, e.key from sso_store_entries e
    where e.expires_at <= now() order by e.expires_at limit $1 for update skip locked
  ), gone as (
    delete from sso_store_entries e using doomed d
    where e.namespace = d.namespace and e.key = d.key returning 1
  )
  select count(*)::int as n from gone`;

function direction(sortOrder: SortOrder | string | undefined): 'asc' | 'desc' {
  return typeof sortOrder === 'string' && sortOrder.toUpperCase() === 'ASC' ? 'asc' : 'desc';
}

/** The library's normalizeOffsetAndLimit (dist/db/utils.js), hardened: missing/invalid offset is 0, missing/0/too large limit is the maximum. */
function page(pageOffset: unknown, pageLimit: unknown, max: number): { limit: number; offset: number } {
  const off = Number(pageOffset);
  const lim = Number(pageLimit);
  return {
    offset: Number.isFinite(off) && off > 0 ? Math.floor(off) : 0,
    limit: Number.isFinite(lim) && lim >= 1 && lim <= max ? Math.floor(lim) : max,
  };
}

function toEncrypted(r: Row): Encrypted {
  return r.iv && r.tag ? { value: r.value, iv: r.iv, tag: r.tag } : { value: r.value };
}

function positive(n: number | undefined, fallback: number): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
}

/**
 * The library's failure traces. It lists and deletes them only from its own stale-trace sweep,
 * which it starts un-awaited when it initialises and then daily (dist/sso-traces/index.js), so a
 * database error there would surface as an unhandledRejection. The portal never reads traces, so
 * a failed sweep is logged and skipped; the next daily sweep deletes what this one could not.
 */
const TRACES = 'saml:tracer';

async function tracesCleanup<T>(run: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await run();
  } catch (err) {
    log('warn', 'sso library trace sweep skipped', { err });
    return fallback;
  }
}

export function createJacksonDriver(query: DbHandle['query'], options: JacksonDriverOptions = {}): JacksonDriver {
  const maxPage = positive(options.pageLimit, 50);
  const sweepLimit = positive(options.cleanupLimit, 1000);
  const intervalSeconds = options.cleanupIntervalSeconds ?? 300;

  const records = (rows: Row[]): Records<Encrypted> => ({ data: rows.map(toEncrypted) });

  async function cleanupExpired(limit = sweepLimit): Promise<number> {
    const per = positive(limit, sweepLimit);
    let total = 0;
    for (;;) {
      const [row] = await query<{ n: number }>(SQL_SWEEP, [per]);
      const n = Number(row?.n ?? 0);
      total += n;
      if (n < per) return total;
    }
  }

  let timer: ReturnType<typeof setInterval> | undefined;
  let sweeping = false;
  if (intervalSeconds > 0) {
    timer = setInterval(() => {
      if (sweeping) return;
      sweeping = true;
      cleanupExpired()
        .catch((err) => log('error', 'sso store: expired-row sweep failed', { err }))
        .finally(() => {
          sweeping = false;
        });
    }, intervalSeconds * 1000);
    timer.unref?.();
  }

  return {
    async get(namespace: string, key: string): Promise<Encrypted | null> {
      const [row] = await query<Row>(SQL_GET, [namespace, key]);
      return row ? toEncrypted(row) : null;
    },

    async put(namespace: string, key: string, val: Encrypted, ttl = 0, ...indexes: Index[]): Promise<void> {
      const names: string[] = [];
      const values: string[] = [];
      for (const idx of indexes) {
        if (!idx) continue;
        names.push(String(idx.name));
        values.push(String(idx.value));
      }
      const seconds = Number(ttl);
      await query(SQL_PUT, [
        namespace,
        key,
        val.value,
        val.iv ?? null,
        val.tag ?? null,
        Number.isFinite(seconds) && seconds > 0 ? seconds : 0,
        names,
        values,
      ]);
    },

    async getAll(namespace: string, pageOffset?: number, pageLimit?: number, _pageToken?: string, sortOrder?: SortOrder) {
      const { limit, offset } = page(pageOffset, pageLimit, maxPage);
      const run = async () => records(await query<Row>(SQL_ALL[direction(sortOrder)], [namespace, limit, offset]));
      return namespace === TRACES ? tracesCleanup(run, { data: [] }) : run();
    },

    async getByIndex(
      namespace: string,
      idx: Index,
      pageOffset?: number,
      pageLimit?: number,
      _pageToken?: string,
      sortOrder?: SortOrder,
    ) {
      const { limit, offset } = page(pageOffset, pageLimit, maxPage);
      const scope = tenantScope.getStore();
      const rows =
        scope && namespace === 'saml:config' && idx.name === 'entityID'
          ? await query<Row>(SQL_BY_INDEX_IN_TENANT, [namespace, idx.name, idx.value, limit, offset, scope.tenantProduct])
          : await query<Row>(SQL_BY_INDEX[direction(sortOrder)], [namespace, idx.name, idx.value, limit, offset]);
      return records(rows);
    },

    async getCount(namespace: string, idx?: Index): Promise<number> {
      const [row] = idx
        ? await query<{ n: number }>(SQL_COUNT_INDEX, [namespace, idx.name, idx.value])
        : await query<{ n: number }>(SQL_COUNT, [namespace]);
      return Number(row?.n ?? 0);
    },

    async delete(namespace: string, key: string): Promise<boolean> {
      const run = async () => (await query(SQL_DELETE, [namespace, key])).length > 0;
      return namespace === TRACES ? tracesCleanup(run, false) : run();
    },

    async deleteMany(namespace: string, keys: string[]): Promise<void> {
      if (!keys || keys.length === 0) return;
      await query(SQL_DELETE_MANY, [namespace, keys]);
    },

    cleanupExpired,

    /** Stops the sweep timer. The database handle is shared with the portal and stays open. */
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
    },

    getStats(): Record<string, number> {
      return {};
    },
  };
}

/** The key under which the library's Store files a record or index value: ripemd160 hex (dist/db/store.js, dist/db/utils.js keyDigest). */
export function jacksonStoreKey(key: string): string {
  return createHash('ripemd160').update(key).digest('hex');
}

/** Whether the library's record `key` (as the library names it) in `namespace` is unchanged for `seconds`. */
export async function libraryRecordSettled(namespace: string, key: string, seconds: number): Promise<boolean> {
  const db = await dbHandle();
  const [row] = await db.query<{ settled: boolean }>(
    `select modified_at < now() - make_interval(secs => $3) as settled from sso_store_entries where namespace = $1 and key = $2`,
    [namespace, jacksonStoreKey(key), seconds],
  );
  return !!row?.settled;
}
