import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migratePostgres } from '../db/client';

/** The server named by TEST_PG_URL (default: the local server, database `test`). */
const ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const databaseUrl = (name: string) => Object.assign(new URL(ADMIN), { pathname: `/${name}` }).toString();

/**
 * A database migrated once for this run, the template of each test file's own fresh database
 * (setup-postgres.ts), so that files run side by side; everything is dropped afterwards.
 */
export default async function setup(project: TestProject) {
  const name = `portal_test_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  await migratePostgres(databaseUrl(name));
  project.provide('pgTemplate', name);
  return async () => {
    const c = new pg.Client({ connectionString: ADMIN });
    await c.connect();
    const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname = $1 or datname like $2`, [name, `${name}\\_f\\_%`]);
    for (const { datname } of rows) await c.query(`drop database if exists ${datname} with (force)`);
    await c.end();
  };
}
