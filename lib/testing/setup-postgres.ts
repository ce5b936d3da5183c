import { afterAll, inject } from 'vitest';
import { closeDb } from '../db/client';
import { useStorage } from './reset';

useStorage({ DATABASE_URL: inject('databaseUrl') });
afterAll(() => closeDb());

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
