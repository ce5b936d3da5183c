import { expect, test } from '@playwright/test';
import { startPortal, tempDataDir, type Portal } from './support/portal';

let portal: Portal;
test.beforeAll(async () => {
  portal = await startPortal({ DATA_DIR: tempDataDir() });
});
test.afterAll(async () => portal?.stop());

test('first start: the one-time setup page creates the operator, then is gone', async ({ page }) => {
  await page.goto(portal.url);
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel('Email').fill('first@example.com');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'Create operator account' }).click();
  await expect(page.getByText('Use at least 12 characters')).toBeVisible();

  await page.getByLabel('Password', { exact: true }).fill('a-long-enough-password');
  await page.getByLabel('Confirm password').fill('a-long-enough-password');
  await page.getByRole('button', { name: 'Create operator account' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await expect(page.getByText('No tenants yet')).toBeVisible();

  // The session cookie is HttpOnly and SameSite=Lax.
  const cookie = (await page.context().cookies()).find((c) => c.name.includes('session-token'));
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

  // Setup is one-time: the page now sends to sign-in.
  await page.goto(`${portal.url}/setup`);
  await expect(page).toHaveURL(/\/login$/);

  // Signing out ends the session on the server: the old cookie no longer opens the console.
  await page.goto(`${portal.url}/tenants`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.context().addCookies([cookie!]);
  await page.goto(`${portal.url}/tenants`);
  await expect(page).toHaveURL(/\/login/);
});
