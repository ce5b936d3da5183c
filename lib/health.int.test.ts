import { beforeAll, describe, expect, it } from 'vitest';
import * as readyRoute from '@/app/api/ready/route';
import * as healthRoute from '@/app/api/health/route';
import { signingKeys } from '@/lib/applications/keys';
import { getDb } from '@/lib/db/client';
import { env } from '@/lib/env';

describe('liveness and readiness', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('readiness: the database answers, every migration of this build is applied, the signing keys exist', async () => {
    await signingKeys();
    const res = await readyRoute.GET();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, checks: { database: { ok: true }, migrations: { ok: true }, keys: { ok: true } } });
    expect((await healthRoute.GET()).status).toBe(200);
  });

  it('an instance whose AUTH_SECRET differs from the one the keys were sealed under is not ready, and says why', async () => {
    await signingKeys();
    const g = globalThis as unknown as { __portalEnv?: ReturnType<typeof env> };
    const own = env();
    g.__portalEnv = { ...own, AUTH_SECRET: 'another-instance-secret-another-instance-secret' };
    try {
      const res = await readyRoute.GET();
      expect(res.status).toBe(503);
      const body = await res.json();
      expect(body.checks.keys.ok).toBe(false);
      expect(body.checks.keys.detail).toMatch(/AUTH_SECRET/);
    } finally {
      g.__portalEnv = own;
    }
    expect((await readyRoute.GET()).status).toBe(200);
  });
});
