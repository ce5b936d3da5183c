import { expect, test } from '@playwright/test';
import { api, openSetupLink, uniq, toasts } from './support/api';
import { E2E } from './support/constants';

test('a setup link opens its tenant console in one browser only, scoped, until revoked', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Setup Co'), domains: [`${uniq('setup')}.example.com`] } })).body;
  const other = (await api('/tenants', { method: 'POST', body: { name: uniq('Other Co') } })).body;
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['sso'] } });
  expect(link.status).toBe(201);

  // A mail scanner or link preview fetches the link first: a GET shows what it opens and uses nothing.
  const scanned = await fetch(link.body.url);
  expect(scanned.status).toBe(200);
  expect(await scanned.text()).toContain(tenant.name);

  const admin = await browser.newContext();
  const page = await admin.newPage();
  await page.goto(link.body.url);
  await expect(page.getByRole('heading', { name: `Set up single sign-on for ${tenant.name}` })).toBeVisible();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  // The overview says what the link is and lists only the steps it opens.
  await expect(page.getByText('You opened a setup link')).toBeVisible();
  await expect(page.getByText(/It lets you set up SSO connections, users, provisioning and sign-in policy for .*, until \d{4}-/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const checklist = page.getByRole('list', { name: 'Set-up checklist' });
  await expect(checklist.getByRole('listitem', { name: 'Identity provider connection' })).toContainText('No connection yet');
  await expect(checklist.getByRole('listitem', { name: 'Email domains' })).toHaveCount(0);
  await page.goto(`/t/${tenant.slug}/connections`);
  await expect(page.getByRole('heading', { name: 'Connections' })).toBeVisible();
  // The link's scope is "sso": those sections only.
  const nav = page.getByRole('navigation', { name: 'Sections' });
  await expect(nav.getByRole('link', { name: 'Provisioning' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Audit log' })).toHaveCount(0);
  expect((await page.goto(`/t/${tenant.slug}/domains`))?.status()).toBe(404);
  await page.goto(`/t/${tenant.slug}/provisioning`);
  await page.getByLabel('Self-registration').check();
  await page.getByLabel('Allowed domains').fill('partner.example.org');
  await page.getByRole('button', { name: 'Save provisioning' }).click();
  await expect(toasts(page).getByText('Provisioning saved.')).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/provisioning`)).body).toMatchObject({ strategy: 'self_registration', allowedDomains: ['partner.example.org'] });

  // Only this tenant, and not the operator console.
  expect((await page.goto(`/t/${other.slug}`))?.status()).toBe(404);
  await page.goto('/tenants');
  await expect(page).toHaveURL(/\/login/);

  // A second browser cannot use the same link.
  const second = await browser.newContext();
  const p2 = await second.newPage();
  const res = await p2.goto(link.body.url);
  expect(res?.status()).toBe(410);
  await expect(p2.getByRole('alert')).toContainText('already opened in another browser');
  // The first browser may open it again (a bookmark, a second tab).
  await openSetupLink(page, link.body.url);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));

  // Revoking ends the first browser's session at once.
  expect((await api(`/tenants/${tenant.id}/portal-links/${link.body.id}`, { method: 'DELETE' })).status).toBe(204);
  await page.goto(`/t/${tenant.slug}`);
  await expect(page).toHaveURL(/\/login/);
  await admin.close();
  await second.close();
});

test('the operator makes a setup link in the console, copies it once, sees it opened, and revokes it', async ({ page, browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Console Link Co') } })).body;
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/tenants/${tenant.id}`);
  await expect(page.getByTestId('tenant-id')).toHaveText(tenant.id);

  // Only role mappings, for an hour.
  for (const name of ['SSO connections, users, provisioning, sign-in policy', 'Directory sync (SCIM)', 'Email domains', 'Audit log and webhooks']) {
    await page.getByRole('checkbox', { name }).uncheck();
  }
  await page.getByLabel('Valid for').selectOption({ label: '1 hour' });
  await page.getByRole('button', { name: 'Create setup link' }).click();
  const url = (await page.getByLabel('Setup link', { exact: true }).textContent())!;
  expect(url).toMatch(/\/setup-link\//);
  const links = page.getByRole('table', { name: 'Setup links' });
  await expect(links).toContainText('Role mappings');
  await expect(links).toContainText('Not opened yet');

  const admin = await browser.newContext();
  const visitor = await admin.newPage();
  await openSetupLink(visitor, url);
  const nav = visitor.getByRole('navigation', { name: 'Sections' });
  await expect(nav.getByRole('link', { name: 'Role mappings' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Connections' })).toHaveCount(0);

  await page.reload();
  await expect(links).toContainText('Opened');
  await links.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('alertdialog', { name: 'Revoke this setup link?' }).getByRole('button', { name: 'Revoke link' }).click();
  await expect(links).toContainText('Revoked');
  await visitor.goto(`/t/${tenant.slug}`);
  await expect(visitor).toHaveURL(/\/login/);
  await admin.close();
});
