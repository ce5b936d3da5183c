import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM, E2E } from './e2e/support/constants';

// Fresh storage for the shared portal; set once here and inherited by the workers.
process.env.E2E_DATA_DIR ??= mkdtempSync(path.join(tmpdir(), 'portal-e2e-shared-'));
const dataDir = process.env.E2E_DATA_DIR;

/**
 * End-to-end specs in Debian's Chromium (never a downloaded browser). One shared portal serves
 * the specs that need no special storage; specs about start-up, restarts and several instances
 * start their own (e2e/support/portal.ts).
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  fullyParallel: true,
  workers: 2,
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    baseURL: E2E.baseURL,
    launchOptions: {
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
    trace: 'off',
  },
  webServer: {
    command: 'node --conditions=react-server scripts/start.mjs',
    url: `${E2E.baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PORT: String(E2E.port),
      DATA_DIR: dataDir,
      OPERATOR_EMAIL: E2E.operatorEmail,
      OPERATOR_PASSWORD: E2E.operatorPassword,
      OPERATOR_API_KEY: E2E.apiKey,
      ALLOW_PRIVATE_URLS: 'true',
      DEMO_MODE: 'false',
      LOG_LEVEL: 'warn',
    },
  },
});
