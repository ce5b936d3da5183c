import { SYSTEM } from './audit/types';
import { dbHandle } from './db/client';
import { ensureOperator, operatorCount } from './dal/operators';
import { forgetSetupToken, publishSetupToken, setupTokenFile } from './auth/setup-token';
import { seedDemo } from './demo/seed';
import { signingKeys } from './applications/keys';
import { closeSso, sso } from './sso/jackson';
import { env } from './env';
import { log } from './log';

/**
 * What start-up does before serving: open the database (applying pending migrations), create
 * the operator named by OPERATOR_EMAIL/OPERATOR_PASSWORD if it does not exist yet, and in demo
 * mode seed the demo tenant once.
 */
export async function bootstrap(): Promise<{ setupUrl: string | null }> {
  const e = env();
  if (e.OPERATOR_API_KEY && e.OPERATOR_API_KEY.length < 16) log('warn', 'OPERATOR_API_KEY is shorter than 16 characters: fine for a test, guessable in production');
  if (process.env.AUTH_SECRET && e.AUTH_SECRET.length < 32) log('warn', 'AUTH_SECRET is shorter than 32 characters: fine for a test, guessable in production');
  if (e.ALLOW_PRIVATE_URLS) {
    log('warn', 'ALLOW_PRIVATE_URLS is on: metadata, discovery and webhook URLs may reach loopback and private addresses (this machine and its network). Turn it off in production.');
  }
  if (e.demoMode) {
    log('warn', 'DEMO_MODE is on: anyone who can reach this portal may sign in to the demo tenant through the built-in demo IdP. Set DEMO_MODE=false anywhere but a development machine.');
  }
  await dbHandle();
  if (e.OPERATOR_EMAIL && e.OPERATOR_PASSWORD) await ensureOperator(SYSTEM, e.OPERATOR_EMAIL, e.OPERATOR_PASSWORD);
  // First-run setup needs a token only the person who started the portal sees (printed, and under DATA_DIR).
  let setupUrl: string | null = null;
  if ((await operatorCount()) === 0) {
    setupUrl = publishSetupToken();
    log('info', `No operator account yet. Create the first one at ${setupUrl} (the token is also in ${setupTokenFile()}).`);
    console.log(`\n  First-run setup: open ${setupUrl}\n`);
  } else forgetSetupToken();
  // Also makes the SSO library create its SP certificate once, before any server process starts.
  if (e.demoMode) await seedDemo();
  else await sso();
  // The OpenID Provider's first signing keys, before any instance serves (readiness checks them).
  await signingKeys();
  await closeSso();
  return { setupUrl };
}
