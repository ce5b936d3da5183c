import { randomBytes } from 'node:crypto';
import { afterAll, inject } from 'vitest';
import { closeDb } from '../db/client';
import { adminQuery, databaseUrl } from './global-setup';
import { useStorage } from './reset';

// This file's own database, a copy of the run's migrated template (global-setup.ts).
const name = `${inject('pgTemplate')}_f_${randomBytes(4).toString('hex')}`;
await adminQuery(`create database ${name} template ${inject('pgTemplate')}`);
useStorage({ DATABASE_URL: databaseUrl(name) });
afterAll(async () => {
  await closeDb();
  await adminQuery(`drop database if exists ${name} with (force)`);
});

declare module 'vitest' {
  export interface ProvidedContext {
    pgTemplate: string;
  }
}
