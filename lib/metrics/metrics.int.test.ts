process.env.METRICS_TOKEN = 'metrics-token-0123456789abcdef';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { beforeAll, describe, expect, it } from 'vitest';
import * as metricsRoute from '@/app/metrics/route';
import * as scimRoute from '@/app/api/scim/v2/[directoryId]/[[...path]]/route';
import { getDb } from '@/lib/db/client';
import { makeDirectory, scimTenant } from '@/lib/testing/scim';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';

const scrape = async (auth = 'Bearer metrics-token-0123456789abcdef') =>
  metricsRoute.GET(new Request('http://localhost/metrics', { headers: { authorization: auth } }));

const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, (c) => `\\${c}`)} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text)?.[1] ?? 0);

describe('/metrics', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('needs the token', async () => {
    expect((await scrape('Bearer wrong')).status).toBe(401);
    expect((await scrape('')).status).toBe(401);
  });

  it('counts sign-ins by protocol, outcome and reason, SCIM requests by kind and status, and reads shared state', async () => {
    const before = await (await scrape()).text();
    const { idp, domain } = await samlTenant();
    const ok = await samlSignIn(idp, `ada@${domain}`);
    expect(ok.callback!.status).toBe(303);
    // A refused one: an email outside the tenant's domains.
    const refused = await samlSignIn(idp, `ada@${domain}`, { email: `mallory@elsewhere-${domain}` });
    expect((refused.callback ?? refused.acs).status).toBeGreaterThanOrEqual(400);
    const tenant = await scimTenant('Metrics');
    const dir = await makeDirectory(tenant.id, 'Okta', 'okta');
    await scimRoute.GET(new Request(`http://localhost/api/scim/v2/${dir.id}/Users`, { headers: { authorization: `Bearer ${dir.bearerToken}` } }), {
      params: Promise.resolve({ directoryId: dir.id, path: ['Users'] }),
    });
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    const delta = (series: string) => value(text, series) - value(before, series);
    expect(delta('portal_signins_total{protocol="saml",outcome="success",reason=""}')).toBe(1);
    expect(delta('portal_signins_total{protocol="saml",outcome="failure",reason="domain_not_allowed"}')).toBe(1);
    expect(delta('portal_signin_duration_seconds_count{protocol="saml",outcome="success"}')).toBe(1);
    expect(delta('portal_scim_requests_total{kind="okta",method="GET",status="200"}')).toBe(1);
    expect(text).toMatch(/^portal_audit_unsequenced_events \d+$/m);
    expect(text).toMatch(/^# TYPE portal_job_last_finished_seconds gauge$/m);
  });
});
