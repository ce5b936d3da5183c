import { expect, test } from '@playwright/test';
import { api, openSetupLink, uniq } from './support/api';

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
  await expect(page.getByRole('status')).toHaveText('Saved.');
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
