import { expect, test } from '@playwright/test';
import { api, uniq, toasts, signInAsOperator } from './support/api';
import { E2E } from './support/constants';


test('a console page without a session goes to sign-in; a wrong password is refused', async ({ page }) => {
  await page.goto('/tenants');
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Wrong email or password.' })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test('operator creates a tenant with two domains and sees the duplicate-domain error', async ({ page }) => {
  await signInAsOperator(page);
  const name = uniq('Globex');
  const d1 = `${uniq('globex')}.example.com`;
  const d2 = `${uniq('globex-eu')}.example.com`;

  await page.getByRole('button', { name: 'New tenant' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByLabel('Email domains').fill(`${d1}\n${d2}`);
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await expect(dialog).toBeHidden();
  await expect(toasts(page).getByText('Tenant created.')).toBeVisible();

  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText(d1);
  await expect(row).toContainText(d2);

  // The same domain again, on another tenant: the form shows why.
  await page.getByRole('button', { name: 'New tenant' }).click();
  await dialog.getByLabel('Name').fill(uniq('Initech'));
  await dialog.getByLabel('Email domains').fill(d2);
  await dialog.getByRole('button', { name: 'Create tenant' }).click();
  await expect(dialog.getByText(`domain ${d2} already belongs to a tenant`).first()).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();

  // Search finds it by domain; the console opens.
  await page.getByLabel('Search tenants').fill(d1);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('row')).toHaveCount(2); // header + one tenant
  await page.getByRole('link', { name: 'Open console' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  const domains = page.getByRole('list', { name: 'Set-up checklist' }).getByRole('listitem', { name: 'Email domains' });
  await expect(domains).toContainText(d1);
  await expect(domains).toContainText('are verified');
  await expect(domains).toContainText('Done');
});

test('operator renames a tenant and deletes it after confirming', async ({ page }) => {
  const created = await api('/tenants', { method: 'POST', body: { name: uniq('Rename Me') } });
  await signInAsOperator(page);
  await page.goto(`/tenants/${created.body.id}`);
  const newName = uniq('Renamed');
  await page.getByLabel('Name').fill(newName);
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(toasts(page).getByText('Tenant saved.')).toBeVisible();
  await expect(page.getByRole('heading', { name: newName })).toBeVisible();

  await page.getByRole('button', { name: 'Delete tenant' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete tenant' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await expect(toasts(page).getByText('Tenant deleted.')).toBeVisible();
  expect((await api(`/tenants/${created.body.id}`)).status).toBe(404);
});

test('operator creates an API key, uses it, and revokes it', async ({ page }) => {
  await signInAsOperator(page);
  await page.getByRole('link', { name: 'API keys' }).click();
  const keyName = uniq('billing');
  await page.getByLabel('Key name').fill(keyName);
  await page.getByRole('button', { name: 'Create key' }).click();
  const key = (await page.getByLabel('New API key').textContent())!.trim();
  expect(key).toMatch(/^sk_op_/);

  const listed = await api('/tenants?limit=1', { key });
  expect(listed.status).toBe(200);
  expect(Array.isArray(listed.body.data)).toBe(true);
  const made = await api('/tenants', { method: 'POST', key, body: { name: uniq('Via key') } });
  expect(made.status).toBe(201);

  await page.reload();
  await expect(page.getByLabel('New API key')).toHaveCount(0); // shown once
  const row = page.getByRole('row').filter({ hasText: keyName });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke key' }).click();
  await expect(row).toContainText('revoked');
  expect((await api('/tenants', { key })).status).toBe(401);
});

test('a tenant console for an unknown tenant is a 404', async ({ page }) => {
  await signInAsOperator(page);
  const res = await page.goto('/t/no-such-tenant-here');
  expect(res?.status()).toBe(404);
});

test('on a phone the sections fold behind a menu, the current one is marked, and the page keeps to the screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signInAsOperator(page);
  const nav = page.getByRole('navigation', { name: 'Sections' });
  await expect(nav).toBeHidden();
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(nav).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Tenants' })).toHaveAttribute('aria-current', 'page');
  await nav.getByRole('link', { name: 'API keys' }).click();
  await expect(page).toHaveURL(/\/api-keys$/);
  await expect(nav).toBeHidden(); // folded again on the new page
  await page.getByRole('button', { name: 'Menu' }).click();
  await expect(nav.getByRole('link', { name: 'API keys' })).toHaveAttribute('aria-current', 'page');
  await expect(nav.getByRole('link', { name: 'Tenants' })).not.toHaveAttribute('aria-current', 'page');
  // A sheet: a dialog that Escape closes, giving focus back to its button.
  await expect(page.getByRole('dialog', { name: 'Sections' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(nav).toBeHidden();
  await expect(page.getByRole('button', { name: 'Menu' })).toBeFocused();
  // Wide tables scroll inside the page, not the page across the screen.
  await page.goto('/tenants');
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
});

test('the service provider page shows the SAML endpoints and rolls the encryption certificate over, publishing both meanwhile', async ({ page, request }) => {
  await signInAsOperator(page);
  await page.getByRole('link', { name: 'Service provider' }).click();
  await expect(page.getByLabel('Single logout URL (HTTP-Redirect and HTTP-POST)')).toHaveText(`${E2E.baseURL}/api/oauth/saml/slo`);
  const table = page.getByRole('table', { name: 'Encryption certificates' });
  await expect(table.getByRole('row')).toHaveCount(2);
  const encryptionCerts = async () => ((await (await request.get('/.well-known/sp-metadata')).text()).match(/KeyDescriptor use="encryption"/g) ?? []).length;
  expect(await encryptionCerts()).toBe(1);

  await page.getByRole('button', { name: 'Start rollover' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Start rollover' }).click();
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText('new (rollover)');
  expect(await encryptionCerts()).toBe(2);

  await page.getByRole('button', { name: 'Cancel rollover' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel rollover' }).click();
  await expect(table.getByRole('row')).toHaveCount(2);
  expect(await encryptionCerts()).toBe(1);
});

test('the dashboard shows sign-ins across tenants and what needs attention, each linking to where it is fixed', async ({ page }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Dash Co'), domains: [`${uniq('dash')}.example.com`] } })).body;
  await signInAsOperator(page);
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('total-tenants')).not.toHaveText('0');
  const row = page.getByRole('table', { name: 'Tenants by sign-ins' }).getByRole('row').filter({ hasText: tenant.name });
  await expect(row).toContainText('none');
  await row.getByRole('link', { name: tenant.name }).click();
  await expect(page).toHaveURL(new RegExp(`/tenants/${tenant.id}$`));
});
