import { sequence, startSequencer } from '../audit/sequencer';
import { getDb } from '../db/client';
import { env } from '../env';
import { log } from '../log';
import { JOBS } from './index';
import { startScheduler } from './scheduler';

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
}
