import { expect, test, type Page } from '@playwright/test';
import { api, openSetupLink, uniq } from './support/api';
import { E2E } from './support/constants';

/**
 * A page is usable before its scripts have run: the server's HTML is there, React's handlers are
 * not. What a person (or a test) does in that moment must neither leak what they typed nor be lost.
 */

/** Every navigation this page makes, as addresses. */
function navigations(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    if (r.isNavigationRequest()) seen.push(r.url());
  });
  return seen;
}

test('a form sent before the scripts ran puts nothing typed in the address', async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false });
  const page = await ctx.newPage();
  const seen = navigations(page);
  await page.goto('/login');
  // Without scripts the form stays marked not ready; a person types and presses Enter anyway.
  await page.getByLabel('Email').fill(E2E.operatorEmail, { force: true });
  await page.getByLabel('Password').fill(E2E.operatorPassword, { force: true });
  const [sent] = await Promise.all([page.waitForRequest((r) => r.isNavigationRequest()), page.getByLabel('Password').press('Enter')]);
  expect(sent.method()).toBe('POST');
  expect((await sent.response())!.status()).toBeLessThan(500);
  for (const url of seen) {
    expect(url).not.toContain('password');
    expect(url).not.toContain(encodeURIComponent(E2E.operatorPassword));
  }

  // The same holds in the consoles: every form there either posts or is a search.
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Before hydration') } })).body;
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: {} });
  const withScripts = await browser.newContext();
  await openSetupLink(await withScripts.newPage(), link.body.url);
  const signedIn = await browser.newContext({ javaScriptEnabled: false, storageState: await withScripts.storageState() });
  const console = await signedIn.newPage();
  for (const path of ['domains', 'provisioning', 'sign-in-policy', 'console-access', 'connections/new?provider=oidc']) {
    await console.goto(`/t/${tenant.slug}/${path}`);
    const forms = await console.locator('form').evaluateAll((els) => els.map((f) => ({ method: (f as HTMLFormElement).method, role: f.getAttribute('role'), html: f.outerHTML.slice(0, 120) })));
    for (const f of forms) expect(f.method === 'post' || f.role === 'search', `${path}: ${f.html}`).toBe(true);
  }
  await Promise.all([ctx.close(), withScripts.close(), signedIn.close()]);
});

test('controls wait until the page is interactive: typing and clicks are neither lost nor sent natively', async ({ page }) => {
  const seen = navigations(page);
  // The page's scripts arrive late, so its HTML is there long before React is.
  await page.route('**/_next/static/chunks/**', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await page.goto('/login', { waitUntil: 'commit' });
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  for (const url of seen) expect(url).not.toContain('password');

  // A button that opens a dialog, clicked as soon as the page's HTML is there.
  await page.goto('/tenants', { waitUntil: 'commit' });
  await page.getByRole('button', { name: 'New tenant' }).click();
  await expect(page.getByRole('dialog', { name: 'New tenant' })).toBeVisible({ timeout: 2000 });
});
