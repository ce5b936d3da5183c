import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = path.dirname(new URL(import.meta.url).pathname);
const alias = {
  '@': root,
  'server-only': path.join(root, 'lib/testing/empty-module.ts'),
};

/**
 * Unit tests beside the code (*.test.ts) run once; integration tests (*.int.test.ts) run twice:
 * against embedded PGlite and against the PostgreSQL named by TEST_PG_URL
 * (a fresh database is created per run by lib/testing/global-setup.ts; each PGlite file starts from
 * a copy of one migrated per run, lib/testing/global-setup-pglite.ts).
 */
export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: 'unit', include: ['lib/**/*.test.ts', 'components/**/*.test.ts', 'e2e/**/*.test.ts', 'scripts/**/*.test.ts'], exclude: ['**/*.int.test.ts'] },
      },
      {
        resolve: { alias },
        test: {
          name: 'pglite',
          include: ['lib/**/*.int.test.ts'],
          globalSetup: ['lib/testing/global-setup-pglite.ts'],
          setupFiles: ['lib/testing/setup-pglite.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'postgres',
          include: ['lib/**/*.int.test.ts'],
          globalSetup: ['lib/testing/global-setup.ts'],
          setupFiles: ['lib/testing/setup-postgres.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
