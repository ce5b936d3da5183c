import { sequence, startSequencer } from '../audit/sequencer';
import { getDb } from '../db/client';
import { env } from '../env';
import { log } from '../log';
import { JOBS } from './index';
import { runningScheduler, startScheduler } from './scheduler';

/**
 * Starts the audit sequencer (always: it links new audit events into their chains, needs no
 * lease, and is safe with several instances) and the scheduled jobs (unless JOBS=off).
 */
export async function startJobs(): Promise<void> {
  startSequencer(getDb);
  void sequence(await getDb()).catch((err) => log('warn', 'audit sequencer catch-up failed', { err }));
  if (!env().JOBS) return;
  startScheduler(JOBS);
  log('info', 'scheduler started', { jobs: JOBS.map((j) => j.name) });
  // Graceful shutdown: Next.js stops taking requests and finishes those in flight; meanwhile the
  // scheduler starts nothing new and lets running jobs end and release their leases.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      log('info', 'shutting down: stopping scheduled jobs', { signal });
      void runningScheduler()
        ?.stop()
        .then(() => log('info', 'scheduled jobs stopped; leases released'));
    });
  }
}
