import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { api } from './support/api';
import { startPortal, tempDataDir } from './support/portal';

const KEY = 'storage-spec-operator-key-001';
const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test.describe.configure({ mode: 'serial' });

test('a crash (SIGKILL) and restart on embedded storage loses no committed tenant', async () => {
  const dataDir = tempDataDir();
  const env = { DATA_DIR: dataDir, OPERATOR_API_KEY: KEY };
  const first = await startPortal(env);
  const ids: string[] = [];
  try {
    for (let i = 0; i < 5; i++) {
      const r = await api('/tenants', { method: 'POST', key: KEY, base: first.url, body: { name: `Durable ${i}`, domains: [`durable-${i}.example.com`] } });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
  } finally {
    await first.stop('SIGKILL');
  }
  const second = await startPortal(env);
  try {
    const list = await api('/tenants?limit=200', { key: KEY, base: second.url });
    expect(list.body.data.map((t: { id: string }) => t.id).sort()).toEqual([...ids].sort());
  } finally {
    await second.stop();
  }
});

test('two instances on one PostgreSQL: migrations applied once, no tenant lost or doubled', async () => {
  const name = `portal_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const env = { DATABASE_URL: url.toString(), OPERATOR_API_KEY: KEY, DATA_DIR: tempDataDir() };
  // Both start at once: they race for the migrations.
  const [a, b] = await Promise.all([startPortal(env), startPortal(env)]);
  try {
    const made = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api('/tenants', {
          method: 'POST',
          key: KEY,
          base: i % 2 ? a.url : b.url,
          body: { name: `Twin ${i}`, slug: `twin-${i}`, domains: [`twin-${i}.example.com`] },
        }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array(40).fill(201));
    // The same slug through both instances at once: exactly one wins.
    const dup = await Promise.all([a.url, b.url].map((base) => api('/tenants', { method: 'POST', key: KEY, base, body: { name: 'Dup', slug: 'dup' } })));
    expect(dup.map((r) => r.status).sort()).toEqual([201, 409]);

    const db = new pg.Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    const { rows } = await db.query('select slug, count(*)::int as n from tenants group by slug');
    expect(rows).toHaveLength(41);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const journal = JSON.parse(readFileSync(path.resolve('drizzle/meta/_journal.json'), 'utf8'));
    const applied = await db.query('select count(*)::int as n from drizzle.__drizzle_migrations');
    expect(applied.rows[0].n).toBe(journal.entries.length);
    // Every instance sees what the other wrote.
    const seenByA = await api('/tenants?limit=200', { key: KEY, base: a.url });
    expect(seenByA.body.data).toHaveLength(41);
    await db.end();
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
});

test('a bad environment value stops the start with a message naming it', async () => {
  await expect(startPortal({ DATA_DIR: tempDataDir(), PORT: '3299', PUBLIC_URL: 'not a url' }, { timeoutMs: 30_000 })).rejects.toThrow(/PUBLIC_URL/);
});
