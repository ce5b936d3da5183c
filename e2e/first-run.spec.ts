import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { startPortal, tempDataDir, type Portal } from './support/portal';

let portal: Portal;
let dataDir: string;
test.beforeAll(async () => {
  dataDir = tempDataDir();
  portal = await startPortal({ DATA_DIR: dataDir, OPERATOR_API_KEY: 'first-run-api-key-0123456789' });
});
test.afterAll(async () => portal?.stop());

test('first start: the one-time setup page needs the printed token, creates the operator, then is gone', async ({ page }) => {
  // The token is printed at start and kept under DATA_DIR; only whoever started the portal sees it.
  const tokenFile = path.join(dataDir, 'setup-token');
  const token = readFileSync(tokenFile, 'utf8').trim();
  expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(portal.output()).toContain(`/setup?token=${token}`);
  // Printed again once the portal answers, where the build's output cannot have scrolled it away.
  await expect.poll(() => portal.output(), { timeout: 15_000 }).toContain(`Ready. First-run setup: open ${portal.url}/setup?token=${token}`);

  // An anonymous visitor without the token (from any address) cannot create an operator.
  await page.goto(portal.url);
  await expect(page).toHaveURL(/\/setup$/);
  await page.getByLabel('Email').fill('intruder@example.com');
  await page.getByLabel('Password', { exact: true }).fill('a-long-enough-password');
  await page.getByLabel('Confirm password').fill('a-long-enough-password');
  await page.getByRole('button', { name: 'Create operator account' }).click();
  await expect(page.getByText('Enter the setup token printed when the portal started')).toBeVisible();
  await page.getByLabel('Setup token').fill('x'.repeat(32));
  await page.getByRole('button', { name: 'Create operator account' }).click();
  await expect(page.getByText('This is not the setup token', { exact: false }).first()).toBeVisible();
  await expect(page).toHaveURL(/\/setup$/);

  // The printed link carries the token.
  await page.goto(`${portal.url}/setup?token=${token}`);
  await expect(page.getByLabel('Setup token')).toHaveValue(token);
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

  // Setup is one-time: the page now sends to sign-in, and the token file is gone.
  await page.goto(`${portal.url}/setup?token=${token}`);
  await expect(page).toHaveURL(/\/login$/);
  expect(existsSync(tokenFile)).toBe(false);

  // Signing out ends the session on the server: the old cookie no longer opens the console.
  await page.goto(`${portal.url}/tenants`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.context().addCookies([cookie!]);
  await page.goto(`${portal.url}/tenants`);
  await expect(page).toHaveURL(/\/login/);
});
