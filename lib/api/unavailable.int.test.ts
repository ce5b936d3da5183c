import { afterAll, describe, expect, it } from 'vitest';
import * as ssoRoute from '@/app/(public)/sso/route';
import * as acsRoute from '@/app/api/oauth/saml/route';
import * as oidcRoute from '@/app/api/oauth/oidc/route';
import * as callbackRoute from '@/app/api/sso/callback/route';
import * as healthRoute from '@/app/api/health/route';
import * as spMetadataRoute from '@/app/.well-known/sp-metadata/route';
import * as scimRoute from '@/app/api/scim/v2/[directoryId]/[[...path]]/route';
import * as readyRoute from '@/app/api/ready/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { closeDb } from '@/lib/db/client';
import { call } from '@/lib/testing/api';

/** A PostgreSQL that is not there: requests fail fast with 503 and the health check says so. */
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
    const ready = await readyRoute.GET();
    expect(ready.status).toBe(503);
    // Anyone may ask: the answer says what is wrong, never the driver's words (hosts, addresses, users); the log has them.
    const readyBody = await ready.json();
    expect(readyBody.checks.database).toEqual({ ok: false, detail: 'the database is unavailable (see the log)' });
    const healthBody = await health.json();
    expect(healthBody.database).toEqual({ ok: false, error: 'the database is unavailable (see the log)' });
    expect(JSON.stringify([readyBody, healthBody])).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|nobody/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('SCIM answers 503 with Retry-After in the SCIM error schema, without claiming nothing was stored', async () => {
    await closeDb();
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:9/nothing';
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
    const res = await scimRoute.POST(
      new Request('http://localhost/api/scim/v2/dir_x/Users', { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/scim+json' }, body: '{}' }),
      { params: Promise.resolve({ directoryId: 'dir_x', path: ['Users'] }) },
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const body = await res.json();
    expect(body).toMatchObject({ status: '503', schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'] });
    expect(body.detail).toMatch(/may not have been applied/);
  });

  it('every sign-in step answers the error page with 503, service_unavailable and Retry-After', async () => {
    await closeDb();
    process.env.DATABASE_URL = 'postgres://nobody@127.0.0.1:9/nothing';
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
    const answers = [
      await ssoRoute.GET(new Request('http://localhost/sso?email=ada@acme.example.com')),
      await acsRoute.POST(new Request('http://localhost/api/oauth/saml', { method: 'POST', body: 'SAMLResponse=PHg%2B&RelayState=portal_sso_abc' })),
      await oidcRoute.GET(new Request('http://localhost/api/oauth/oidc?code=c&state=s')),
      await callbackRoute.GET(new Request('http://localhost/api/sso/callback?code=c&state=s')),
    ];
    const metadata = await spMetadataRoute.GET();
    expect(metadata.status).toBe(503);
    expect(metadata.headers.get('retry-after')).toBe('5');
    for (const res of answers) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(await res.text()).toContain('service_unavailable');
    }
  });
});
