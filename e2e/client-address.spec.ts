import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { freePort } from './support/portal';

// The shared portal trusts no proxy: the client's address is the socket's peer (127.0.0.1 here),
// whatever X-Forwarded-For the client sends (scripts/client-address-preload.mjs).
let idpServer: SamlIdpServer;
test.beforeAll(async () => {
  const port = await freePort();
  idpServer = await startSamlIdpServer({ port, idp: new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` }), users: [] });
});
test.afterAll(async () => idpServer?.close());

test('a client cannot pass the sign-in IP allowlist by claiming an address in X-Forwarded-For', async ({ request }) => {
  const domain = `${uniq('ipspoof')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Allowlisted Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);
  expect((await api(`/tenants/${tenant.id}/sign-in-policy`, { method: 'PUT', body: { ipAllowlist: ['203.0.113.0/24'] } })).status).toBe(200);

  for (const claimed of ['203.0.113.5', '203.0.113.5, 10.0.0.1', '10.0.0.1, 203.0.113.5']) {
    const r = await request.get(`/sso?tenant=${tenant.slug}`, { headers: { 'x-forwarded-for': claimed, 'x-real-ip': '203.0.113.5' }, maxRedirects: 0 });
    expect(r.status(), claimed).toBe(403);
  }
  // One event: refusals for one reason from one address are recorded once a minute, and the
  // address is the socket's for all three (claimed addresses would have made them two or three).
  const failed = (await api(`/tenants/${tenant.id}/audit-logs?action=sso.login_failed`)).body.data;
  expect(failed.length).toBe(1);
  for (const e of failed) {
    expect(e.reason).toBe('ip_not_allowed');
    expect(['127.0.0.1', '::1']).toContain(e.ip);
  }

  // Allowing the real address lets the same request through to the IdP.
  expect((await api(`/tenants/${tenant.id}/sign-in-policy`, { method: 'PUT', body: { ipAllowlist: ['127.0.0.0/8', '::1/128'] } })).status).toBe(200);
  const ok = await request.get(`/sso?tenant=${tenant.slug}`, { headers: { 'x-forwarded-for': '198.51.100.1' }, maxRedirects: 0 });
  expect(ok.status()).toBeGreaterThanOrEqual(300);
  expect(ok.status()).toBeLessThan(400);
});
