import { expect, test } from '@playwright/test';
import { api, toasts } from './support/api';
import { E2E } from './support/constants';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

test.afterAll(async () => {
  await api('/branding', { method: 'PATCH', body: { productName: null, accentColor: null, logo: null } });
});

test('the operator brands the pages customers see: product name, logo and accent colour on sign-in and its errors', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.getByRole('link', { name: 'Branding' }).click();

  await page.getByLabel('Accent colour').fill('blue');
  await page.getByRole('button', { name: 'Save branding' }).click();
  await expect(page.getByRole('alert').filter({ hasText: '#rrggbb' })).toBeVisible();

  await page.getByLabel('Product name').fill('Acme Cloud');
  await page.getByLabel('Accent colour').fill('#4f46e5');
  await page.getByLabel('Logo').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: PNG });
  await page.getByRole('button', { name: 'Save branding' }).click();
  await expect(toasts(page)).toContainText('Branding saved.');

  await page.goto('/signin');
  await expect(page).toHaveTitle('Acme Cloud');
  const brand = page.getByTestId('brand');
  await expect(brand).toContainText('Acme Cloud');
  expect(await brand.locator('img').evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth > 0)).toBe(true);
  await expect(page.getByRole('button', { name: 'Continue' })).toHaveCSS('background-color', 'rgb(79, 70, 229)');

  await page.goto('/sso?email=someone%40unknown-brand.example');
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.locator('[data-brand]')).toContainText('Acme Cloud');
});
