import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

let idpServer: SamlIdpServer;
let groups = ['Engineering'];
const domain = `${uniq('saml')}.example.com`;
const email = `ada@${domain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({
    port,
    idp,
    users: [{ email, attributes: { firstName: 'Ada', lastName: 'Lovelace' } }],
    // Groups are read at each sign-in, so the test can change them between sign-ins.
    responseOptions: (u) => ({ attributes: { email: u.email, firstName: 'Ada', lastName: 'Lovelace', groups } }),
  });
});
test.afterAll(async () => idpServer?.close());

test('operator connects a SAML IdP; an end user signs in just in time with mapped roles; a second sign-in updates them', async ({ page, browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Hooli'), domains: [domain] } })).body;
  const mapping = await api(`/tenants/${tenant.id}/role-mappings`, {
    method: 'PUT',
    body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'viewer' },
  });
  expect(mapping.status).toBe(200);

  // The operator uploads the IdP's metadata in the tenant console and checks what was read.
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/t/${tenant.slug}/connections`);
  await expect(page.getByLabel('ACS URL (Reply URL)')).toHaveText(`${E2E.baseURL}/api/oauth/saml`);
  await page.getByRole('link', { name: 'New connection' }).click();
  await page.getByLabel('Other SAML 2.0 provider').check();
  const metadata = await (await fetch(idpServer.metadataUrl)).text();
  await page.getByLabel('IdP metadata XML').fill('<not-xml');
  await page.getByRole('button', { name: 'Check metadata' }).click();
  await expect(page.getByText(/not well-formed XML/).first()).toBeVisible();
  await page.getByLabel('IdP metadata XML').fill(metadata);
  await page.getByRole('button', { name: 'Check metadata' }).click();
  const read = page.getByRole('definition').filter({ hasText: idpServer.metadataUrl });
  await expect(read).toBeVisible();
  await expect(page.getByText(/SHA-256 [0-9A-F:]+ · expires/)).toBeVisible();
  await page.getByRole('button', { name: 'Save connection' }).click();
  // Console connections start as drafts; this spec activates without testing (e2e/connection-test.spec.ts tests first).
  await expect(page.locator('[data-status]').first()).toHaveText('Draft');
  await page.getByRole('button', { name: 'Activate without testing…' }).click();
  await page.getByRole('button', { name: 'Activate without testing', exact: true }).click();
  await expect(page.locator('[data-status]').first()).toHaveText('Active');
  await page.goto(`/t/${tenant.slug}/connections`);
  await expect(page.getByRole('table', { name: 'Connections' })).toContainText(idpServer.metadataUrl);

  // An end user, in a browser of their own, signs in by email.
  const user = await browser.newContext();
  const p = await user.newPage();
  await p.goto('/signin');
  await p.getByLabel('Work email').fill(email);
  await p.getByRole('button', { name: 'Continue' }).click();
  await expect(p.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  await expect(p.getByTestId('user-email')).toHaveText(email);
  await expect(p.getByTestId('user-tenant')).toHaveText(tenant.name);
  await expect(p.getByRole('list', { name: 'Roles' })).toHaveText('editor');
  await expect(p.getByRole('list', { name: 'Groups' })).toHaveText('Engineering');
  const session = await (await p.request.get('/api/auth/session')).json();
  expect(session.user).toMatchObject({ email, tenantId: tenant.id, roles: ['editor'] });

  const users = (await api(`/tenants/${tenant.id}/users?email=${encodeURIComponent(email)}`)).body.data;
  expect(users).toHaveLength(1);
  expect(users[0]).toMatchObject({ email, firstName: 'Ada', lastName: 'Lovelace', roles: ['editor'], source: 'jit', status: 'active' });

  // The IdP moves the user out of Engineering: the next sign-in takes the role away.
  groups = ['Sales'];
  await p.getByRole('button', { name: 'Sign out' }).click();
  await expect(p).toHaveURL(/\/signin$/);
  expect(await (await p.request.get('/api/auth/session')).json()).toBeNull();
  await p.goto(`/sso?email=${encodeURIComponent(email)}`);
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  await expect(p.getByRole('list', { name: 'Roles' })).toHaveText('viewer');
  const again = (await api(`/tenants/${tenant.id}/users`)).body.data;
  expect(again).toHaveLength(1);
  expect(again[0]).toMatchObject({ roles: ['viewer'], groups: ['Sales'] });
  await user.close();
});

test('an unknown email domain answers a 404 page that says so', async ({ page }) => {
  const res = await page.goto(`/sso?email=someone@${uniq('nobody')}.example.net`);
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('alert')).toContainText('No organisation uses this email domain');
});

test('a personal address is told so, and "Try again" keeps what was typed', async ({ page }) => {
  await page.goto('/signin');
  await page.getByLabel('Work email').fill('grace@gmail.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('alert')).toHaveText('That is a personal email address. Sign in with your work email, the address your organisation gave you.');
  await expect(page.getByText('You entered grace@gmail.com.')).toBeVisible();
  await page.getByRole('link', { name: 'Try again' }).click();
  await expect(page.getByLabel('Work email')).toHaveValue('grace@gmail.com');
});

test('SP metadata names the entity ID and the ACS URL under PUBLIC_URL', async ({ request }) => {
  const res = await request.get('/.well-known/sp-metadata');
  expect(res.status()).toBe(200);
  const xml = await res.text();
  expect(xml).toContain(`entityID="${E2E.baseURL}/.well-known/sp-metadata"`);
  expect(xml).toContain(`Location="${E2E.baseURL}/api/oauth/saml"`);
  expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
});
