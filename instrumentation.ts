// Next.js calls register() once when a server process starts: it starts the scheduled jobs.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startJobs } = await import('./lib/jobs/start');
  await startJobs();
}
