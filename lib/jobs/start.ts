import { env } from '../env';
import { log } from '../log';
import { JOBS } from './index';
import { startScheduler } from './scheduler';

/** Starts the scheduler unless JOBS=off (tests that drive jobs themselves). */
export async function startJobs(): Promise<void> {
  if (!env().JOBS) return;
  startScheduler(JOBS);
  log('info', 'scheduler started', { jobs: JOBS.map((j) => j.name) });
}
