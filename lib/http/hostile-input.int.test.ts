import { beforeAll, describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import { getDb } from '@/lib/db/client';
import { call } from '@/lib/testing/api';
import { makeDirectory, scimCall, scimTenant } from '@/lib/testing/scim';

/**
 * JSON from outside is walked without recursion and refused past 64 levels: a deeply nested body
 * (5,000 levels) is a 400 with the reason on the operator API and SCIM (IdPs retry a 5xx forever),
 * and nothing is written.
 */
const deep = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
const deepArray = (levels: number) => `{"name":${'['.repeat(levels)}${']'.repeat(levels)}}`;

describe('deeply nested JSON', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('operator API: 400 problem+json naming the depth, no tenant created', async () => {
    const before = (await call(tenantRoutes.GET, { path: '/api/v1/tenants?limit=200' })).body.data.length;
    for (const rawBody of [deep(5000), deepArray(5000)]) {
      const res = await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', rawBody, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.detail ?? res.body.title).toMatch(/nested more than 64 levels/);
    }
    expect((await call(tenantRoutes.GET, { path: '/api/v1/tenants?limit=200' })).body.data.length).toBe(before);
    const t = (await call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body: { name: 'Depth Co' } })).body;
    const patched = await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: t.id }, rawBody: deep(5000), headers: { 'content-type': 'application/json' } });
    expect(patched.status).toBe(400);
  });

  it('SCIM: 400 in the SCIM error schema (invalidSyntax), no user created', async () => {
    const tenant = await scimTenant('Depth');
    const dir = await makeDirectory(tenant.id);
    for (const rawBody of [deep(5000), deepArray(5000)]) {
      const res = await scimCall(dir, 'POST', '/Users', undefined, { rawBody });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: '400', scimType: 'invalidSyntax', detail: expect.stringMatching(/nested more than 64 levels/) });
    }
    const list = await scimCall(dir, 'GET', '/Users');
    expect(list.body.totalResults).toBe(0);
    const patched = await scimCall(dir, 'PATCH', '/Users/nope', undefined, { rawBody: deep(5000) });
    expect(patched.status).toBe(400);
  });
});
