import { afterAll, describe, expect, it } from 'vitest';
import * as healthRoute from '@/app/api/health/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { closeDb } from '@/lib/db/client';
import { call } from '@/lib/testing/api';

/** A PostgreSQL that is not there: requests fail fast with 503 and the health check says why. */
describe('database unreachable', () => {
  const saved = process.env.DATABASE_URL;
  afterAll(async () => {
    process.env.DATABASE_URL = saved;
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
    await closeDb();
  });

  it('answers 503 quickly, never hangs', async () => {
    await closeDb();
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:9/nothing';
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
    const started = Date.now();
    const res = await call(tenantsRoute.GET, { path: '/api/v1/tenants' });
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/database is unavailable/);
    const health = await healthRoute.GET();
    expect(health.status).toBe(503);
    expect((await health.json()).database).toMatchObject({ ok: false, error: expect.stringMatching(/ECONNREFUSED|connect/) });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
