import { sequence, startSequencer, stopSequencer } from '../audit/sequencer';
import { closeDb, getDb } from '../db/client';
import { env } from '../env';
import { log } from '../log';
import { JOBS } from './index';
import { runningScheduler, startScheduler } from './scheduler';

/**
 * Starts the audit sequencer (always: it links new audit events into their chains, needs no
 * lease, and is safe with several instances) and the scheduled jobs (unless JOBS=off), and
 * leaves the portal's part of a graceful shutdown where the server process finds it.
 */
export async function startJobs(): Promise<void> {
  (globalThis as { __portalShutdown?: typeof shutdown }).__portalShutdown = shutdown;
  startSequencer(getDb);
  void sequence(await getDb()).catch((err) => log('warn', 'audit sequencer catch-up failed', { err }));
  if (!env().JOBS) return;
  startScheduler(JOBS);
  log('info', 'scheduler started', { jobs: JOBS.map((j) => j.name) });
}

/**
 * The portal's part of a graceful shutdown, called by scripts/shutdown-preload.mjs on SIGTERM
 * once the server has stopped taking connections: no new job runs start, running ones end and
 * release their leases (so another instance takes them over at once), and — when the requests
 * in flight (`drained`) have finished too — the database pool closes (PGlite flushes to disk).
 */
async function shutdown(drained: Promise<void>): Promise<void> {
  log('info', 'shutting down: finishing requests in flight and running jobs');
  await Promise.all([drained, runningScheduler()?.stop(), stopSequencer()]);
  await closeDb({ final: true });
  log('info', 'shut down: jobs stopped, leases released, storage closed');
}
