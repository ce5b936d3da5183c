import { SYSTEM } from './audit/types';
import { dbHandle } from './db/client';
import { ensureOperator } from './dal/operators';
import { seedDemo } from './demo/seed';
import { closeSso, sso } from './sso/jackson';
import { env } from './env';
import { log } from './log';

/**
 * What start-up does before serving: open the database (applying pending migrations), create
 * the operator named by OPERATOR_EMAIL/OPERATOR_PASSWORD if it does not exist yet, and in demo
 * mode seed the demo tenant once.
 */
export async function bootstrap(): Promise<void> {
  const e = env();
  if (e.OPERATOR_API_KEY && e.OPERATOR_API_KEY.length < 16) log('warn', 'OPERATOR_API_KEY is shorter than 16 characters: fine for a test, guessable in production');
  if (process.env.AUTH_SECRET && e.AUTH_SECRET.length < 32) log('warn', 'AUTH_SECRET is shorter than 32 characters: fine for a test, guessable in production');
  await dbHandle();
  if (e.OPERATOR_EMAIL && e.OPERATOR_PASSWORD) await ensureOperator(SYSTEM, e.OPERATOR_EMAIL, e.OPERATOR_PASSWORD);
  // Also makes the SSO library create its SP certificate once, before any server process starts.
  if (e.demoMode) await seedDemo();
  else await sso();
  await closeSso();
}
