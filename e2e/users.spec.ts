import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

let idpServer: SamlIdpServer;
const domain = `${uniq('users')}.example.com`;
const email = `kim@${domain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({ port, idp, users: [{ email }] });
});
test.afterAll(async () => idpServer?.close());

test('an admin suspends a signed-in user from the console: their session ends at once', async ({ page, browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Users Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);

  const user = await browser.newContext();
  const u = await user.newPage();
  await u.goto(`/sso?email=${encodeURIComponent(email)}`);
  await u.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(u).toHaveURL(/\/app$/);

  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/t/${tenant.slug}/users`);
  const row = page.getByRole('row').filter({ hasText: email });
  await expect(row).toContainText('jit');
  await row.getByRole('button', { name: 'Suspend' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Suspend' }).click();
  await expect(row).toContainText('suspended');

  // The user's open session is over at once.
  expect(await (await u.request.get('/api/auth/session')).json()).toBeNull();
  await u.goto('/app');
  await expect(u).toHaveURL(/\/signin$/);
  const audit = (await api(`/tenants/${tenant.id}/audit-logs?action=user.suspended`)).body.data;
  expect(audit).toHaveLength(1);

  await row.getByRole('button', { name: 'Reactivate' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Reactivate' }).click();
  await expect(row).toContainText('active');
  await user.close();
});
