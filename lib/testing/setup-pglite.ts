import { rmSync } from 'node:fs';
import { afterAll, inject } from 'vitest';
import { closeDb } from '../db/client';
import { copyMigratedStorage, useStorage } from './reset';

const dataDir = useStorage({ DATABASE_URL: undefined });
copyMigratedStorage(inject('pgliteTemplate'), dataDir);
afterAll(async () => {
  await closeDb();
  rmSync(dataDir, { recursive: true, force: true });
});

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}
