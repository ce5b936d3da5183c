import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

let idpServer: SamlIdpServer;
const domain = `${uniq('ctest')}.example.com`;
const email = `ada@${domain}`;
const strangerDomain = `${uniq('elsewhere')}.example.com`;
const stranger = `grace@${strangerDomain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({
    port,
    idp,
    users: [{ email, attributes: { firstName: 'Ada', lastName: 'Lovelace', groups: ['Engineering', 'Everyone'] } }, { email: stranger }],
  });
});
test.afterAll(async () => idpServer?.close());

test('an admin creates a draft SAML connection with the Okta guide, tests it, activates it; then an end user signs in', async ({ page, browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Initech'), domains: [domain] } })).body;
  const mapping = await api(`/tenants/${tenant.id}/role-mappings`, {
    method: 'PUT',
    body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'viewer' },
  });
  expect(mapping.status).toBe(200);

  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);

  // New connection: the provider picker starts on Okta, with this portal's values to paste.
  await page.goto(`/t/${tenant.slug}/connections`);
  await page.getByRole('link', { name: 'New connection' }).click();
  await expect(page.getByRole('heading', { name: 'New connection' })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Okta' })).toBeChecked();
  const okta = page.getByRole('region', { name: 'Okta set-up guide' });
  await expect(okta.getByLabel('Single sign-on URL')).toHaveText(`${E2E.baseURL}/api/oauth/saml`);
  await expect(okta.getByLabel('Audience URI (SP Entity ID)')).toHaveText(`${E2E.baseURL}/.well-known/sp-metadata`);
  await expect(okta.getByLabel('Name ID format (EmailAddress)')).toHaveText('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  await expect(okta.getByRole('table', { name: 'Attributes for Okta' })).toContainText('user.firstName');
  await expect(okta).toContainText('Metadata URL');
  // Another provider shows its own labels.
  await page.getByRole('radio', { name: 'Microsoft Entra ID' }).check();
  await expect(page.getByRole('region', { name: 'Microsoft Entra ID set-up guide' }).getByLabel('Reply URL (Assertion Consumer Service URL)')).toHaveText(
    `${E2E.baseURL}/api/oauth/saml`,
  );
  await page.getByRole('radio', { name: 'Okta' }).check();

  const metadata = await (await fetch(idpServer.metadataUrl)).text();
  await page.getByLabel('IdP metadata XML').fill(metadata);
  await page.getByRole('button', { name: 'Check metadata' }).click();
  await expect(page.getByRole('definition').filter({ hasText: idpServer.metadataUrl })).toBeVisible();
  await page.getByRole('button', { name: 'Save connection' }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}/connections/conn_`));
  const connectionId = new URL(page.url()).pathname.split('/').pop()!;
  await expect(page.getByRole('heading', { name: 'Okta', exact: true })).toBeVisible();
  await expect(page.locator('[data-status]').first()).toHaveText('Draft');

  // A draft does not serve sign-in.
  const endUser = await browser.newContext();
  const p = await endUser.newPage();
  expect((await p.goto(`/sso?email=${encodeURIComponent(email)}`))?.status()).toBe(404);

  // Test sign-in: the real flow at the IdP, then the result page; nobody is signed in.
  await page.getByRole('button', { name: 'Test sign-in' }).click();
  await expect(page.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(page.getByRole('heading', { name: 'Connection test passed' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText('editor');
  const attrs = page.getByRole('table', { name: 'Attributes received' });
  await expect(attrs.getByRole('row', { name: /groups/ })).toContainText('Engineering');
  await expect(attrs.getByRole('row', { name: /firstName/ })).toContainText('Ada');
  await expect(page.getByRole('table', { name: 'Identity' })).toContainText('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  expect((await page.request.get('/api/auth/session').then((r) => r.json()))?.user?.email).toBe(E2E.operatorEmail);
  expect((await api(`/tenants/${tenant.id}/users`)).body.data).toHaveLength(0);

  await page.getByRole('link', { name: 'Back to the connection' }).click();
  await expect(page.locator('[data-status]').first()).toHaveText('Tested');
  const last = page.getByRole('region', { name: 'Last test' });
  await expect(last).toContainText('Passed');
  await expect(last.getByRole('list', { name: 'Roles from the test' })).toHaveText('editor');
  await expect(last.getByRole('table', { name: 'Attributes received' })).toContainText('Engineering, Everyone');
  const viaApi = (await api(`/tenants/${tenant.id}/connections/${connectionId}`)).body;
  expect(viaApi).toMatchObject({ status: 'tested', lastTest: { outcome: 'success', email, roles: ['editor'] } });

  // Activate; the end user then signs in.
  await page.getByRole('button', { name: 'Activate', exact: true }).click();
  await expect(page.locator('[data-status]').first()).toHaveText('Active');
  expect((await api(`/tenants/${tenant.id}/connections/${connectionId}`)).body.status).toBe('active');

  await p.goto('/signin');
  await p.getByLabel('Work email').fill(email);
  await p.getByRole('button', { name: 'Continue' }).click();
  await expect(p.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  await expect(p.getByTestId('user-email')).toHaveText(email);
  await expect(p.getByRole('list', { name: 'Roles' })).toHaveText('editor');
  await endUser.close();

  // The overview's checklist and recent sign-ins say so.
  await page.goto(`/t/${tenant.slug}`);
  const step = page.getByRole('list', { name: 'Set-up checklist' }).getByRole('listitem', { name: 'Identity provider connection' });
  await expect(step).toContainText('is active and its last test passed');
  await expect(step).toContainText('Done');
  await expect(page.getByRole('table', { name: 'Recent sign-ins' })).toContainText(email);

  const actions = (await api(`/tenants/${tenant.id}/audit-logs?limit=50`)).body.data.map((e: { action: string }) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['connection.created', 'connection.tested', 'connection.activated', 'sso.login_succeeded']));
});

test('a test whose person would be refused passes with problems, each with its fix, and activation asks first', async ({ page }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Globex'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  const connection = (await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).body;
  expect((await api(`/tenants/${tenant.id}/connections/${connection.id}`, { method: 'PATCH', body: { status: 'draft' } })).status).toBe(200);

  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/t/${tenant.slug}/connections/${connection.id}`);
  await page.getByRole('button', { name: 'Test sign-in' }).click();
  await page.getByRole('button', { name: `Sign in as ${stranger}` }).click();
  // The IdP's answer was fine; the person's domain is not the tenant's: not a plain "passed".
  await expect(page.getByRole('heading', { name: 'Connection test passed with problems' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Problems to fix' })).toContainText(`Add ${strangerDomain} under Domains`);

  await page.getByRole('link', { name: 'Back to the connection' }).click();
  await expect(page.locator('[data-status]').first()).toHaveText('Tested');
  await expect(page.getByRole('region', { name: 'Last test' })).toContainText('Passed with problems');
  await expect(page.getByRole('alert', { name: 'Problems to fix' })).toContainText(`Add ${strangerDomain} under Domains`);
  const dialog = page.getByRole('alertdialog', { name: 'Activate despite the problems?' });
  // Arrived as a full page load: the button says it is not ready until hydrated, so the click waits.
  await page.getByRole('button', { name: 'Activate…' }).click();
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText(strangerDomain);
  await dialog.getByRole('button', { name: 'Activate anyway' }).click();
  await expect(page.locator('[data-status]').first()).toHaveText('Active');
});
