import { expect, test } from '@playwright/test';
import { api, uniq, toasts } from './support/api';
import { E2E } from './support/constants';

test('the operator registers an application (secret shown once), edits it, rotates its secret and deletes it', async ({ page }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Apps Co') } })).body;
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Applications' })).toBeVisible();

  const name = uniq('Billing app');
  await page.getByLabel('Name', { exact: true }).fill(name);
  // A redirect URI that is not https (and not loopback) is refused, naming the field.
  await page.getByLabel('Redirect URIs', { exact: true }).fill('http://billing.example.com/callback');
  await page.getByRole('button', { name: 'Register application' }).click();
  await expect(page.getByText('must be an https:// URL (http:// only on a loopback host)').first()).toBeVisible();
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback');
  await page.getByLabel('Only users of the tenants below may sign in').check();
  await page.getByLabel(new RegExp(tenant.slug)).check();
  await page.getByRole('button', { name: 'Register application' }).click();
  const secretShown = page.locator('code[aria-label="Client secret"]');
  await expect(secretShown).toHaveText(/^cs_/);
  const secret = (await secretShown.textContent())!.trim();
  const clientId = (await page.locator('code[aria-label="Client ID"]').textContent())!.trim();
  expect(secret).toMatch(/^cs_/);
  const apps = (await api('/applications?limit=200')).body.data;
  const app = apps.find((a: { clientId: string }) => a.clientId === clientId);
  expect(app).toMatchObject({ name, redirectUris: ['https://billing.example.com/callback'], tenantIds: [tenant.id], type: 'confidential' });
  expect(JSON.stringify(apps)).not.toContain(secret);

  // Its page: edit the redirect URIs, rotate the secret (shown once), delete after confirming.
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByLabel('Redirect URIs', { exact: true })).toHaveValue('https://billing.example.com/callback');
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback\nhttp://localhost:4000/callback');
  await page.getByRole('button', { name: 'Save application' }).click();
  await expect(toasts(page).getByText('Application saved.')).toBeVisible();
  expect((await api(`/applications/${app.id}`)).body.redirectUris).toEqual(['https://billing.example.com/callback', 'http://localhost:4000/callback']);
  await page.getByRole('button', { name: 'Rotate secret…' }).click();
  await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
  await expect(secretShown).toHaveText(/^cs_/);
  const rotated = (await secretShown.textContent())!.trim();
  expect(rotated).not.toBe(secret);
  await page.getByRole('button', { name: 'Delete application…' }).click();
  await page.getByRole('button', { name: 'Delete application', exact: true }).click();
  await expect(page).toHaveURL(/\/applications$/);
  expect((await api(`/applications/${app.id}`)).status).toBe(404);
  const events = (await api('/applications?limit=200')).body.data.map((a: { id: string }) => a.id);
  expect(events).not.toContain(app.id);
});
