import { sql } from 'drizzle-orm';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { dbHandle, getDb } from '@/lib/db/client';
import { tenants } from '@/lib/db/schema';
import { env } from '@/lib/env';
import { call } from '@/lib/testing/api';

/**
 * Bounded waits on PostgreSQL: a row lock held elsewhere makes a write wait at most lock_timeout
 * (5 s) and answer 503 with Retry-After, not hang; other requests keep being served meanwhile.
 */
describe('bounded waits', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('a write behind a lock held elsewhere answers 503 within the lock timeout; reads go on', async () => {
    if ((await dbHandle()).kind !== 'postgres') return; // one process holds PGlite: no other session to hold a lock
    const t = (await call(tenantsRoute.POST, { method: 'POST', body: { name: 'Locked Co' } })).body;
    const other = new pg.Client({ connectionString: env().DATABASE_URL });
    await other.connect();
    try {
      await other.query('begin');
      await other.query('select * from tenants where id = $1 for update', [t.id]);
      const started = Date.now();
      const [patched, read] = await Promise.all([
        call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: t.id }, body: { name: 'Renamed' } }),
        (async () => {
          await new Promise((r) => setTimeout(r, 200));
          const s = Date.now();
          const res = await call(tenantRoute.GET, { params: { tenantId: t.id } });
          return { res, ms: Date.now() - s };
        })(),
      ]);
      expect(patched.status).toBe(503);
      expect(patched.headers.get('retry-after')).toBe('5');
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(read.res.status).toBe(200);
      expect(read.ms).toBeLessThan(2000);
    } finally {
      await other.query('rollback').catch(() => {});
      await other.end();
    }
    expect((await call(tenantRoute.GET, { params: { tenantId: t.id } })).body.name).toBe('Locked Co');
  });
});

describe('transactions give their connection back', () => {
  it('a transaction whose `begin` fails leaves no connection checked out; the next transaction works and the pool closes', async () => {
    const h = await dbHandle();
    const before = h.poolStats?.();
    // The server refuses this `begin`, as it does when the connection dies at that moment.
    await expect(h.db.transaction(async () => 'never', { isolationLevel: 'bogus' as never })).rejects.toThrow(/isolation/);
    const after = h.poolStats?.();
    if (before && after) expect(after.total - after.idle, JSON.stringify({ before, after })).toBe(0);
    expect(await h.db.transaction(async (tx) => (await tx.select({ one: sql<number>`1` }).from(tenants)).length >= 0)).toBe(true);
  });
});
