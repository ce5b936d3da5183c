import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

let idpServer: SamlIdpServer;
const domain = `${uniq('slo')}.example.com`;
const email = `lee@${domain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const idp = new TestSamlIdp({ entityId: `${origin}/metadata`, ssoUrl: `${origin}/sso`, sloUrl: `${origin}/slo` });
  idpServer = await startSamlIdpServer({ port, idp, users: [{ email }], spSloUrl: `${E2E.baseURL}/api/oauth/saml/slo` });
});
test.afterAll(async () => idpServer?.close());

test('single logout both ways: signing out of the portal signs out at the IdP, and the IdP signing the user out ends the portal session', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('SLO Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);
  const context = await browser.newContext();
  const p = await context.newPage();
  const signIn = async () => {
    await p.goto(`/sso?email=${encodeURIComponent(email)}`);
    await p.getByRole('button', { name: `Sign in as ${email}` }).click();
    await expect(p).toHaveURL(/\/app$/);
  };

  // Portal → IdP (signed LogoutRequest) → portal (signed LogoutResponse) → the sign-in page.
  await signIn();
  const toIdp = p.waitForRequest((r) => r.url().startsWith(`${idpServer.origin}/slo?SAMLRequest=`));
  await p.getByRole('button', { name: 'Sign out' }).click();
  expect(new URL((await toIdp).url()).searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  await expect(p).toHaveURL(/\/signin$/);
  expect(await (await p.request.get('/api/auth/session')).json()).toBeNull();
  const portalLogout = (await api(`/tenants/${tenant.id}/audit-logs?action=sso.logout`)).body.data;
  expect(portalLogout.map((e: { details: unknown }) => e.details)).toEqual([{ initiatedBy: 'portal', idpStatus: 'urn:oasis:names:tc:SAML:2.0:status:Success' }]);

  // IdP → portal (signed LogoutRequest): the portal session ends, the IdP gets its answer.
  await signIn();
  await p.goto(`${idpServer.origin}/slo?user=${encodeURIComponent(email)}`);
  await expect(p.getByRole('status')).toHaveText('You are signed out.');
  expect(await (await p.request.get('/api/auth/session')).json()).toBeNull();
  await p.goto('/app');
  await expect(p).toHaveURL(/\/signin$/);
  const ended = (await api(`/tenants/${tenant.id}/audit-logs?action=session.ended`)).body.data;
  expect(ended.map((e: { reason: string }) => e.reason)).toEqual(['idp_logout']);
  await context.close();
});
