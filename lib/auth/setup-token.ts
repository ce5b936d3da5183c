import { createHmac, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { env } from '../env';

/**
 * The first-run setup token: creating the first operator account needs it, so an anonymous
 * visitor who reaches a fresh portal first cannot take it over. It is derived from AUTH_SECRET
 * (every instance of one deployment computes the same token, nothing to store in the database),
 * printed at start and kept in `DATA_DIR/setup-token` while no operator exists — only whoever
 * started the portal, or can read its data directory or secret, sees it.
 */
export function setupToken(): string {
  return createHmac('sha256', env().AUTH_SECRET).update('first-run-setup:v1').digest('base64url').slice(0, 32);
}

export function setupTokenMatches(given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given.trim());
  const b = Buffer.from(setupToken());
  return a.length === b.length && timingSafeEqual(a, b);
}

export const setupTokenFile = () => path.join(env().DATA_DIR, 'setup-token');

/** At start while no operator exists: writes the token file (owner-only) and returns the setup URL to print. */
export function publishSetupToken(): string {
  writeFileSync(setupTokenFile(), `${setupToken()}\n`, { mode: 0o600 });
  return `${env().PUBLIC_URL}/setup?token=${setupToken()}`;
}

/** Once an operator exists, the token is of no further use. */
export function forgetSetupToken(): void {
  rmSync(setupTokenFile(), { force: true });
}
