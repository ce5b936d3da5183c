import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';

let portal: Portal & { apiKey: string; dataDir: string; exampleUrl: string };
test.beforeAll(async () => {
  // What a newcomer gets from `npm start`: embedded storage, demo mode on by default.
  const dataDir = tempDataDir();
  const apiKey = 'demo-spec-operator-key-0123456789';
  const exampleUrl = `http://localhost:${await freePort()}`;
  portal = { ...(await startPortal({ DATA_DIR: dataDir, DEMO_MODE: '', OPERATOR_API_KEY: apiKey, EXAMPLE_APP_URL: exampleUrl })), apiKey, dataDir, exampleUrl };
});

/** `npm run example` beside the demo portal: it reads the registered application from DATA_DIR. */
function startExampleApp(p: typeof portal) {
  const proc = spawn(process.execPath, ['examples/product/server.mjs'], { env: { ...process.env, DATA_DIR: p.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Example product on')) resolve();
    });
    proc.stderr!.on('data', (d) => (out += d));
    proc.on('exit', (code) => reject(new Error(`example app exited (${code}): ${out}`)));
  });
  return { url: p.exampleUrl, ready, stop: () => proc.kill() };
}
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

  // Signing out signs out at the demo IdP too (single logout), and ends on the sign-in page.
  const toIdp = page.waitForRequest((r) => r.url().startsWith(`${portal.url}/demo-idp/slo?SAMLRequest=`));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await toIdp;
  await expect(page).toHaveURL(/\/signin$/);
  expect(await (await page.request.get(`${portal.url}/api/auth/session`)).json()).toBeNull();

  // Typed groups replace the sample user's own.
  await page.goto(`${portal.url}/sso?tenant=demo`);
  await page.getByLabel('User', { exact: true }).selectOption('ada@demo.example.com');
  await page.getByLabel(/Groups/).fill('Research');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText('member');
});

test('the example product signs in through the portal, shows organisation and roles, and ends when the user is suspended', async ({ page }) => {
  // The demo registered the example product and left its credentials under DATA_DIR.
  const app = startExampleApp(portal);
  try {
    await app.ready;
    await page.goto(app.url);
    await page.getByLabel('Work email (optional)').fill('grace@demo.example.com');
    await page.getByRole('button', { name: 'Sign in with SSO' }).click();
    // The portal's OpenID Provider runs the tenant's SSO: the demo IdP.
    await expect(page.getByText('Demo identity provider — for trying the portal only')).toBeVisible();
    await page.getByLabel('User', { exact: true }).selectOption('grace@demo.example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(`${app.url}/`);
    await expect(page.getByTestId('who')).toContainText('grace@demo.example.com');
    await expect(page.getByTestId('org')).toHaveText('Demo Company (demo)');
    await expect(page.getByTestId('roles')).toHaveText('admin, editor');
    // Another site cannot sign Grace out of the product (and so of the portal): /logout is the app's own form only.
    expect((await page.request.get(`${app.url}/logout`)).status()).toBe(403);
    expect((await page.request.post(`${app.url}/logout`, { headers: { origin: 'https://evil.example' } })).status()).toBe(403);
    await page.reload();
    await expect(page.getByTestId('who')).toContainText('grace@demo.example.com');

    // An admin suspends Grace through the API: the portal's back-channel logout ends the app's session.
    const key = { authorization: `Bearer ${portal.apiKey}` };
    const tenants = await (await fetch(`${portal.url}/api/v1/tenants?limit=200`, { headers: key })).json();
    const demo = tenants.data.find((t: { slug: string }) => t.slug === 'demo');
    const users = await (await fetch(`${portal.url}/api/v1/tenants/${demo.id}/users?email=grace@demo.example.com`, { headers: key })).json();
    const suspended = await fetch(`${portal.url}/api/v1/tenants/${demo.id}/users/${users.data[0].id}/suspend`, { method: 'POST', headers: key });
    expect(suspended.status).toBe(200);
    await expect(async () => {
      await page.reload();
      await expect(page.getByText('You are not signed in.')).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
  } finally {
    app.stop();
  }
});

test('the portal’s start page opens the example product, signed in without the IdP again (third-party initiated login)', async ({ page }) => {
  const app = startExampleApp(portal);
  try {
    await app.ready;
    await page.goto(`${portal.url}/sso?tenant=demo`);
    await page.getByLabel('User', { exact: true }).selectOption('ada@demo.example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page).toHaveURL(/\/app$/);
    const link = page.getByRole('navigation', { name: 'Applications' }).getByRole('link', { name: 'Example product' });
    const href = new URL((await link.getAttribute('href'))!);
    expect(`${href.origin}${href.pathname}`).toBe(`${app.url}/login`);
    expect(Object.fromEntries(href.searchParams)).toEqual({ iss: portal.url, login_hint: 'ada@demo.example.com' });
    const idp = page.waitForRequest((r) => r.url().includes('/demo-idp'), { timeout: 3000 }).then(() => true, () => false);
    await link.click();
    await expect(page).toHaveURL(`${app.url}/`);
    await expect(page.getByTestId('who')).toContainText('ada@demo.example.com');
    await expect(page.getByTestId('org')).toHaveText('Demo Company (demo)');
    expect(await idp).toBe(false);
    // Another issuer named there is refused by the product.
    expect((await page.request.get(`${app.url}/login?iss=https%3A%2F%2Fevil.example&login_hint=ada%40demo.example.com`, { maxRedirects: 0 })).status()).toBe(400);
  } finally {
    app.stop();
  }
});
