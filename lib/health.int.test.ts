import { beforeAll, describe, expect, it } from 'vitest';
import * as readyRoute from '@/app/api/ready/route';
import * as healthRoute from '@/app/api/health/route';
import { signingKeys } from '@/lib/applications/keys';
import { getDb } from '@/lib/db/client';

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
});
