// Next.js calls register() once when a server process starts: in production, thrown errors are
// logged as JSON lines (`next dev` keeps its own readable output); the scheduled jobs start.
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  if (process.env.NODE_ENV === 'production') (await import('./lib/log')).logThrownErrors();
  const { startJobs } = await import('./lib/jobs/start');
  await startJobs();
}
