process.env.METRICS_TOKEN = 'metrics-token-0123456789abcdef';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { beforeAll, describe, expect, it } from 'vitest';
import * as metricsRoute from '@/app/metrics/route';
import * as scimRoute from '@/app/api/scim/v2/[directoryId]/[[...path]]/route';
import { getDb } from '@/lib/db/client';
import { makeDirectory, scimTenant } from '@/lib/testing/scim';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';
import { portalFetch } from '@/lib/testing/oidc';
import { env } from '@/lib/env';

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

  it('labels token requests by known grant types only: an anonymous caller cannot add series', async () => {
    for (let i = 0; i < 5; i++) {
      await portalFetch(`${env().PUBLIC_URL}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: `x${i}-${'A'.repeat(2000)}`, client_id: 'nobody', code: 'x' }),
      });
    }
    const text = await (await scrape()).text();
    expect(text).not.toContain('AAAA');
    const grantTypes = [...text.matchAll(/^portal_oidc_tokens_total\{grant_type="([^"]*)"/gm)].map((m) => m[1]);
    expect(new Set(grantTypes)).toEqual(new Set(grantTypes.filter((g) => ['authorization_code', 'refresh_token', 'client_credentials', 'other'].includes(g))));
    expect(grantTypes).toContain('other');
  });
});
