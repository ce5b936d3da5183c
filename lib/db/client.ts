import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { DatabaseUnavailable } from '../errors';
import { env } from '../env';
import { log } from '../log';
import { lockStorage } from './storage-lock';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Something queries can run on: the database or an open transaction. */
export type Executor = Db | Tx;

export type DbHandle = {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Runs raw SQL with parameters on its own (audit queries, health). */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * As {@link query}, for a small fixed set of texts run very often (the SSO library's storage
   * adapter): on PostgreSQL each text is a named prepared statement, parsed and planned once per
   * connection and kept there, so never pass a text built from values or filters.
   */
  queryPrepared<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Runs one hot, fixed-text write statement as a named prepared statement (parsed and planned
   * once per connection), for its effect only: rows are not returned. Errors are the driver's,
   * with `code`, `constraint` and `column`.
   */
  runPrepared(text: string, params: unknown[]): Promise<void>;
  /** PostgreSQL only: connections of the pool in use, idle, and requests waiting for one (metrics). */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
};

const MIGRATIONS = path.join(process.cwd(), 'drizzle');
const MIGRATION_LOCK = 72_190_001; // pg_advisory_lock key: one migrator at a time across instances

/**
 * The embedded database in `dir`, created when missing and migrated to this version. Only under
 * the storage lock (openPglite), or on a directory no portal uses (the tests' migrated template).
 */
export async function openMigratedPglite(dir: string) {
  const { PGlite } = await import('@electric-sql/pglite');
  // pg_trgm backs the audit log's free-text search index (drizzle/0008_audit_trgm.sql).
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir, { extensions: { pg_trgm } });
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS });
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  return client;
}

async function openPglite(dataDir: string): Promise<DbHandle> {
  const { protocol } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const dir = path.join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  // One process at a time (storage-lock.ts): a second one is refused before it touches the files.
  const release = await lockStorage(dir);
  let client: import('@electric-sql/pglite').PGlite;
  try {
    client = await openMigratedPglite(dir);
  } catch (err) {
    release();
    throw err;
  }
  const open = client;
  const db = drizzle(open, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    async query(text, params) {
      const r = await open.query(text, params as unknown[]);
      return r.rows as never[];
    },
    async queryPrepared(text, params) {
      const r = await open.query(text, params as unknown[]);
      return r.rows as never[];
    },
    runPrepared: pglitePrepared(open, protocol),
    close: () => open.close().finally(release),
  };
}

/** A statement's name for preparing it: the same text always gets the same name. */
const statementName = (text: string) => `p_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
const MAX_PREPARED = 64;

/**
 * A parameter in PostgreSQL's text format. drizzle has already rendered column values (arrays as
 * array literals, JSON as text, timestamps as ISO strings); a bare JS array here would be ambiguous.
 */
function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) throw new Error('runPrepared: pass arrays as PostgreSQL array literals');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * PGlite's query() sends six protocol messages, each a separate call into the database, and
 * parses and plans the text every time. Here: Parse once per text (named), then Bind, Execute
 * and Sync in one call. Parameters are sent as text (see asText), their types inferred by the
 * server as query() would.
 * Runs under PGlite's own locks, like query(), so it never lands inside another transaction.
 */
function pglitePrepared(client: import('@electric-sql/pglite').PGlite, protocol: typeof import('@electric-sql/pglite').protocol): DbHandle['runPrepared'] {
  const c = client as unknown as { _runExclusiveTransaction<T>(f: () => Promise<T>): Promise<T>; _runExclusiveQuery<T>(f: () => Promise<T>): Promise<T> };
  const send = (parts: Uint8Array[]) => {
    const message = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
    parts.reduce((at, b) => (message.set(b, at), at + b.length), 0);
    return c._runExclusiveTransaction(() => c._runExclusiveQuery(() => client.execProtocol(message)));
  };
  /** Statement name by text, once its Parse has succeeded (concurrent first callers share one Parse). */
  const prepared = new Map<string, Promise<string>>();
  return async (text, params) => {
    let name = prepared.get(text);
    if (!name && prepared.size < MAX_PREPARED) {
      const n = statementName(text);
      name = send([protocol.serialize.parse({ name: n, text }), protocol.serialize.sync()]).then(() => n);
      prepared.set(text, name);
      name.catch(() => prepared.delete(text));
    }
    const statement = name ? await name : '';
    const parts = [protocol.serialize.bind({ statement, values: params.map(asText) }), protocol.serialize.execute({}), protocol.serialize.sync()];
    await send(statement ? parts : [protocol.serialize.parse({ name: '', text }), ...parts]);
  };
}

/**
 * A network stall (a half-open connection, a frozen link) leaves a statement waiting for an
 * answer that never comes: the server's statement_timeout cannot reach us and TCP keep-alive
 * takes minutes. PostgreSQL answers every statement within statement_timeout, so a connection
 * that stays silent for longer (`silentMs`) while a statement of ours is outstanding is
 * destroyed: the statement fails at once, as for a dropped connection (503), and the pool
 * replaces it. Idle connections, in the pool or between the statements of a transaction, are
 * left alone.
 */
function dropWhenStalled(client: import('pg').PoolClient, silentMs: number): void {
  const socket = (client as unknown as { connection?: { stream?: import('node:net').Socket } }).connection?.stream;
  if (!socket?.setTimeout) return;
  let outstanding = 0;
  const settle = () => {
    outstanding = Math.max(0, outstanding - 1);
    if (!outstanding) socket.setTimeout(0);
  };
  socket.on('timeout', () => {
    if (!outstanding) return;
    log('warn', 'postgres connection silent too long with a statement outstanding: dropped', { silentMs });
    socket.destroy(Object.assign(new Error(`the database did not answer for ${silentMs} ms (network stalled)`), { code: 'ETIMEDOUT' }));
  });
  const query = client.query as (...a: unknown[]) => unknown;
  client.query = function (...args: unknown[]) {
    // A Submittable (a cursor, a stream) reports its end its own way: not watched.
    if (typeof (args[0] as { submit?: unknown } | null)?.submit === 'function') return query.apply(client, args);
    outstanding++;
    socket.setTimeout(silentMs);
    try {
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        // The callback form (pg-pool's own pool.query): settled when pg calls back, once.
        let done = false;
        args[args.length - 1] = (...r: unknown[]) => {
          if (!done) settle();
          done = true;
          (last as (...a: unknown[]) => void)(...r);
        };
        return query.apply(client, args);
      }
      const result = query.apply(client, args) as { then?: unknown } | undefined;
      if (result && typeof result.then === 'function') (result as Promise<unknown>).then(settle, settle);
      else settle();
      return result;
    } catch (err) {
      settle(); // refused before it was sent (bad arguments)
      throw err;
    }
  } as typeof client.query;
}

/** Migrates the PostgreSQL database at `url` to this version, one migrator at a time across instances. */
export async function migratePostgres(url: string): Promise<void> {
  const pg = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  const migrator = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await migrator.connect();
  try {
    await migrator.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migrate(drizzle(migrator), { migrationsFolder: MIGRATIONS });
  } finally {
    await migrator.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await migrator.end();
  }
}

async function openPostgres(url: string): Promise<DbHandle> {
  const pg = (await import('pg')).default;
  const { drizzle } = await import('drizzle-orm/node-postgres');
  await migratePostgres(url);
  // Bounded waits: no statement, lock wait or idle transaction holds a connection for long, a
  // request waits at most 2 s for a free connection (then 503, isDatabaseUnavailable) instead of
  // queueing behind a stuck one, and a connection whose network stalled is dropped (see below).
  const statementMs = env().DB_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: env().DB_POOL_SIZE,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: statementMs,
    lock_timeout: 5_000,
    idle_in_transaction_session_timeout: 60_000,
  });
  pool.on('error', (err) => log('error', 'postgres pool error', { err }));
  pool.on('connect', (client) => {
    // A connection that dies while checked out emits 'error' on its client: handled, never uncaught.
    client.on('error', (err) => log('error', 'postgres connection error', { err }));
    dropWhenStalled(client, statementMs + 2000);
  });
  const db = drizzle(pool, { schema }) as unknown as Db;
  // drizzle's transaction() on a pool sends `begin` before the try whose `finally` releases the
  // connection: when `begin` fails (the connection died that moment), the connection stays checked
  // out for ever. The pool shrinks with every such failure, and closing it waits for ever. So the
  // portal checks the connection out itself and runs drizzle's transaction on that one connection
  // (a drizzle instance per pooled connection, made once), releasing it whatever happens. A dead
  // connection is dropped by the pool on release.
  const onConnection = new WeakMap<import('pg').PoolClient, Db>();
  db.transaction = (async (run: Parameters<Db['transaction']>[0], config?: Parameters<Db['transaction']>[1]) => {
    const client = await pool.connect();
    try {
      let single = onConnection.get(client);
      if (!single) onConnection.set(client, (single = drizzle(client, { schema }) as unknown as Db));
      return await single.transaction(run, config);
    } finally {
      client.release();
    }
  }) as Db['transaction'];
  return {
    db,
    kind: 'postgres',
    async query(text, params) {
      const r = await pool.query(text, params as unknown[]);
      return r.rows;
    },
    async queryPrepared(text, params) {
      const r = await pool.query({ name: statementName(text), text, values: params as unknown[] });
      return r.rows;
    },
    async runPrepared(text, params) {
      // node-postgres prepares a named statement once per connection.
      await pool.query({ name: statementName(text), text, values: params.map(asText) });
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: () => pool.end(),
  };
}

const g = globalThis as unknown as { __portalDb?: Promise<DbHandle> };

/**
 * The process-wide database: PGlite under DATA_DIR, or PostgreSQL when DATABASE_URL is set.
 * Opening it applies pending migrations. Kept on globalThis so every bundle of the server
 * shares one handle (two PGlite instances on one directory would corrupt it).
 */
export function dbHandle(): Promise<DbHandle> {
  if (!g.__portalDb) {
    const e = env();
    g.__portalDb = (e.DATABASE_URL ? openPostgres(e.DATABASE_URL) : openPglite(e.DATA_DIR)).catch((err) => {
      g.__portalDb = undefined;
      throw err;
    });
  }
  return g.__portalDb;
}

export async function getDb(): Promise<Db> {
  return (await dbHandle()).db;
}

/**
 * Closes the database. `final` (graceful shutdown): nothing may open it again in this process —
 * a request or job still running gets an error instead of a second pool (or a second PGlite on
 * the same directory).
 */
export async function closeDb(opts: { final?: boolean } = {}): Promise<void> {
  const h = g.__portalDb;
  g.__portalDb = opts.final ? Promise.reject(new DatabaseUnavailable('the portal is shutting down: its database is closed')) : undefined;
  g.__portalDb?.catch(() => {});
  if (h) await (await h).close();
}
