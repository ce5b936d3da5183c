// Next.js calls register() once when a server process starts: thrown errors are logged as JSON
// lines, and the scheduled jobs start.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  (await import('./lib/log')).logThrownErrors();
  const { startJobs } = await import('./lib/jobs/start');
  await startJobs();
}
