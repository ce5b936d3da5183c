import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Points this test file at its own storage and forgets cached env/db handles; returns its DATA_DIR. */
export function useStorage(vars: Record<string, string | undefined>): string {
  const g = globalThis as Record<string, unknown>;
  g.__portalEnv = undefined;
  g.__portalDb = undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portal-test-'));
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
    OPERATOR_API_KEY: 'test-operator-key-0123456789',
    LOG_LEVEL: 'silent',
    // Tests run on localhost, where private URLs are allowed by default; the refusals are tested.
    ALLOW_PRIVATE_URLS: 'false',
    ...vars,
  });
  if (vars.DATABASE_URL === undefined) delete process.env.DATABASE_URL;
  return dataDir;
}

/** Embedded storage in `dataDir` as a first start leaves it (migrated, empty): a copy of the run's template (global-setup-pglite.ts). */
export function copyMigratedStorage(template: string, dataDir: string): void {
  cpSync(path.join(template, 'pglite'), path.join(dataDir, 'pglite'), { recursive: true });
}
