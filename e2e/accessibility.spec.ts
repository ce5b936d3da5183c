import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq, signInAsOperator } from './support/api';
import { freePort } from './support/portal';

/**
 * Every console and sign-in page scanned by axe (WCAG 2.1 A and AA rules): no serious or critical
 * violation. And the main paths by keyboard alone.
 */
let idpServer: SamlIdpServer;
const domain = `${uniq('a11y')}.example.com`;
const email = `ira@${domain}`;
let tenant: { id: string; slug: string };
let connectionId: string;
let applicationId: string;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({ port, idp, users: [{ email }] });
  tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('A11y Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  connectionId = (await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).body.id;
  applicationId = (await api('/applications', { method: 'POST', body: { name: uniq('A11y app'), redirectUris: ['https://app.example.com/cb'] } })).body.id;
});
test.afterAll(async () => idpServer?.close());

async function expectNoSeriousViolations(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  expect(serious, `${what}: ${serious.join('\n')}`).toEqual([]);
}


test('sign-in pages: no serious or critical accessibility violation', async ({ page }) => {
  for (const path of ['/signin', '/login', '/sso?email=nobody%40unknown-a11y.example', '/setup-link/not-a-real-token-0000000000']) {
    await page.goto(path);
    await expectNoSeriousViolations(page, path);
  }
  await page.goto(`/sso?email=${encodeURIComponent(email)}`);
  await expectNoSeriousViolations(page, 'the test IdP page is not ours; the portal page after it is');
  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expectNoSeriousViolations(page, '/app');
});

async function scanAll(page: Page, paths: string[], phone = false) {
  test.setTimeout(180_000);
  await signInAsOperator(page);
  if (phone) await page.setViewportSize({ width: 390, height: 844 });
  for (const path of paths) {
    await page.goto(path);
    await expectNoSeriousViolations(page, `${path}${phone ? ' at 390 px' : ''}`);
  }
}

test('operator console: no serious or critical accessibility violation', async ({ page }) => {
  await scanAll(page, ['/dashboard', '/tenants', `/tenants/${tenant.id}`, '/applications', `/applications/${applicationId}`, '/api-keys', '/audit-log', '/webhooks', '/service-provider', '/branding']);
});

test('tenant console: no serious or critical accessibility violation', async ({ page }) => {
  const t = `/t/${tenant.slug}`;
  await scanAll(page, [
    t,
    `${t}/users`,
    `${t}/access-review`,
    `${t}/connections`,
    `${t}/connections/new`,
    `${t}/connections/${connectionId}`,
    `${t}/directories`,
    `${t}/provisioning`,
    `${t}/sign-in-policy`,
    `${t}/domains`,
    `${t}/role-mappings`,
    `${t}/console-access`,
    `${t}/audit-log`,
    `${t}/webhooks`,
  ]);
});

test('on a phone (390 px): no serious or critical accessibility violation', async ({ page }) => {
  const t = `/t/${tenant.slug}`;
  await scanAll(page, ['/dashboard', '/tenants', t, `${t}/connections/${connectionId}`, `${t}/role-mappings`], true);
});

test('by keyboard alone: sign in with an email, and open, answer and cancel a confirmation in the console', async ({ page }) => {
  await page.goto('/signin');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Work email')).toBeFocused();
  await page.keyboard.type('nobody@unknown-keyboard.example');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();

  await signInAsOperator(page);
  await page.goto('/service-provider');
  await page.getByRole('button', { name: 'Start rollover' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Start rollover' })).toBeFocused();

  // On a phone, the sections menu opens and is walked with the keyboard.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/dashboard');
  const menu = page.getByRole('button', { name: 'Menu' });
  await menu.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(page.locator(':focus')).toHaveAttribute('href', /\//);
});
