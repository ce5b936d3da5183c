import { expect, test } from '@playwright/test';
import { startPortal, tempDataDir, type Portal } from './support/portal';

let portal: Portal;
test.beforeAll(async () => {
  // What a newcomer gets from `npm start`: embedded storage, demo mode on by default.
  portal = await startPortal({ DATA_DIR: tempDataDir(), DEMO_MODE: '' });
});
test.afterAll(async () => portal?.stop());

test('demo mode: sign in to the demo tenant through the built-in demo IdP', async ({ page }) => {
  await page.goto(`${portal.url}/signin`);
  await page.getByLabel('Work email').fill('grace@demo.example.com');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByText('Demo identity provider — for trying the portal only')).toBeVisible();
  await page.getByLabel('User', { exact: true }).selectOption('grace@demo.example.com');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByTestId('user-tenant')).toHaveText('Demo Company');
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText(/admin\s*editor/);

  // Typed groups replace the sample user's own.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${portal.url}/sso?tenant=demo`);
  await page.getByLabel('User', { exact: true }).selectOption('ada@demo.example.com');
  await page.getByLabel(/Groups/).fill('Research');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText('member');
});
