import { hostname } from 'node:os';
import { sql } from 'drizzle-orm';
import { getDb, type Db } from '../db/client';
import { newId } from '../ids';
import { errorMessage, log } from '../log';

export type Job = {
  name: string;
  /** How often the job runs, across all instances together. */
  everyMs: number;
  /** How long the lease lasts unless renewed (default {@link LEASE_MS}; tests shorten it). */
  leaseMs?: number;
  run: (db: Db) => Promise<Record<string, unknown> | void>;
};

/**
 * A lease lasts this long; the instance running the job renews it every third of that while the
 * run goes on. So a run may take as long as it needs, and the jobs of an instance that died
 * (SIGKILL, a lost network) are taken over by another within this time.
 */
export const LEASE_MS = 15_000;

/** This process's name in `job_leases.holder`. */
export const HOLDER = `${hostname()}:${process.pid}:${newId('run').slice(-8)}`;

/**
 * Takes the job's lease when it is free (expired) and the job is due, with one conditional
 * upsert: of several instances asking at once, exactly one gets the row back.
 */
export async function acquire(db: Db, job: Job, holder = HOLDER, force = false): Promise<boolean> {
  const leaseMs = job.leaseMs ?? LEASE_MS;
  const dueBefore = force ? sql`now() + interval '1 day'` : sql`now() - ${`${Math.floor(job.everyMs * 0.9)} milliseconds`}::interval`;
  const res = await db.execute<{ name: string }>(sql`
    insert into job_leases (name, holder, lease_until, last_started_at)
    values (${job.name}, ${holder}, now() + ${`${leaseMs} milliseconds`}::interval, now())
    on conflict (name) do update
      set holder = excluded.holder, lease_until = excluded.lease_until, last_started_at = now()
      where job_leases.lease_until <= now()
        and (job_leases.last_finished_at is null or job_leases.last_finished_at < ${dueBefore})
    returning name`);
  return (res as unknown as { rows: unknown[] }).rows.length === 1;
}

/** Extends a held lease; false when it was lost (it lapsed, and may be another instance's now). */
async function renew(db: Db, job: Job, holder: string): Promise<boolean> {
  const res = await db.execute(sql`
    update job_leases set lease_until = now() + ${`${job.leaseMs ?? LEASE_MS} milliseconds`}::interval
    where name = ${job.name} and holder = ${holder} and lease_until > now()
    returning name`);
  return (res as unknown as { rows: unknown[] }).rows.length === 1;
}

async function release(db: Db, job: Job, holder: string, error: string | null): Promise<void> {
  await db.execute(sql`
    update job_leases set lease_until = now(), last_finished_at = now(), last_error = ${error}
    where name = ${job.name} and holder = ${holder}`);
}

/**
 * Runs the job once if this instance gets its lease (`force` ignores when it last ran, not a
 * lease another instance holds). Answers what the job reported, or null when it did not run.
 */
export async function runJob(job: Job, opts: { force?: boolean; holder?: string } = {}): Promise<Record<string, unknown> | null> {
  const db = await getDb();
  const holder = opts.holder ?? HOLDER;
  if (!(await acquire(db, job, holder, opts.force))) return null;
  // A renewal that fails (the database, for longer than the lease) lets another instance take the
  // job: jobs are safe to run twice (lib/jobs/index.ts), and the loss is logged.
  let renewing: Promise<unknown> = Promise.resolve();
  const heartbeat = setInterval(() => {
    renewing = renew(db, job, holder)
      .then((held) => held || log('warn', 'job lease lost while running', { job: job.name, holder }))
      .catch((err) => log('warn', 'job lease renewal failed', { job: job.name, err }));
  }, (job.leaseMs ?? LEASE_MS) / 3);
  heartbeat.unref();
  const stopHeartbeat = async () => {
    clearInterval(heartbeat);
    await renewing; // a renewal under way lands before the release, never after it
  };
  const started = Date.now();
  let ended = 0;
  try {
    const result = (await job.run(db)) ?? {};
    ended = Date.now();
    await stopHeartbeat();
    await release(db, job, holder, null);
    // A run that found nothing to do (every count 0) at debug: a 2-second job would bury the log.
    const did = Object.values(result).some((v) => v !== 0 && v !== false && v !== null && v !== undefined);
    if (Object.keys(result).length) log(did ? 'info' : 'debug', 'job finished', { job: job.name, ...result });
    return result;
  } catch (err) {
    ended ||= Date.now();
    await stopHeartbeat();
    const message = errorMessage(err);
    log('error', 'job failed', { job: job.name, error: message });
    await release(db, job, holder, message.slice(0, 500)).catch(() => {});
    throw err;
  } finally {
    // Before the lease was released: another instance's next run starts after `ended`.
    log('debug', 'job ran', { job: job.name, holder, started, ended });
  }
}

type Scheduler = { stop: () => Promise<void> };
const g = globalThis as unknown as { __portalScheduler?: Scheduler };

/**
 * Starts the in-process scheduler: each job is attempted every `everyMs` (with jitter) and runs
 * where its lease is taken, so several instances share the work without running a job twice.
 */
export function startScheduler(jobs: Job[]): Scheduler {
  if (g.__portalScheduler) return g.__portalScheduler;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<unknown>>();
  let stopped = false;
  for (const job of jobs) {
    const tick = async () => {
      if (stopped) return;
      const run = runJob(job).catch(() => {
        // logged by runJob; the next tick tries again
      });
      running.add(run);
      await run;
      running.delete(run);
      if (stopped) return;
      const t = setTimeout(tick, job.everyMs * (0.9 + Math.random() * 0.2));
      t.unref();
      timers.add(t);
    };
    const first = setTimeout(tick, Math.min(job.everyMs, 2_000) * Math.random());
    first.unref();
    timers.add(first);
  }
  g.__portalScheduler = {
    /**
     * Starts no more runs and waits (10 s at most) for those running: each releases its lease when
     * it ends, so another instance takes the job over at once instead of after the lease expires.
     * Then gives back every lease this instance still holds: a release that failed earlier (the
     * database went at that moment) would otherwise hold its job until the lease expires.
     */
    stop: async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      g.__portalScheduler = undefined;
      await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 10_000).unref())]);
      await getDb()
        .then((db) => db.execute(sql`update job_leases set lease_until = now() where holder = ${HOLDER} and lease_until > now()`))
        .catch((err) => log('warn', 'could not give back the job leases at shutdown', { err }));
    },
  };
  return g.__portalScheduler;
}

/** The running scheduler of this process, if any (graceful shutdown). */
export const runningScheduler = (): Scheduler | undefined => g.__portalScheduler;
