import { afterAll } from 'vitest';
import { closeDb } from '../db/client';
import { useStorage } from './reset';

useStorage({ DATABASE_URL: undefined });
afterAll(() => closeDb());
