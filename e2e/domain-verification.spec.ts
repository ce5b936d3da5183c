import { expect, test } from '@playwright/test';
import { startTxtDnsServer } from '../lib/testing/dns-server';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api as apiOf, uniq, openSetupLink } from './support/api';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';

/**
 * A customer's IT admin proves their email domain through the setup link's console, against a
 * real DNS server this spec runs (the portal's DNS_SERVERS points at it): a check before the TXT
 * record is published is refused and audited; once it is published the domain is verified and
 * home-realm discovery (`/sso?email=`) routes its people to the tenant's IdP, which it did not
 * before. The portal is this spec's own (its own DNS resolver, no ALLOW_PRIVATE_URLS).
 */

const KEY = 'domain-verification-spec-key-0001';
const records = new Map<string, string[]>();
let dns: Awaited<ReturnType<typeof startTxtDnsServer>>;
let portal: Portal;
let idpServer: SamlIdpServer;
const domain = `${uniq('dv')}.example.com`;
const email = `someone@${domain}`;

const api = (path: string, init: { method?: string; body?: unknown } = {}) => apiOf(path, { ...init, key: KEY, base: portal.url });

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  dns = await startTxtDnsServer(records);
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({ port, idp, users: [{ email, attributes: { firstName: 'Some' } }] });
  portal = await startPortal({ DATA_DIR: tempDataDir(), OPERATOR_API_KEY: KEY, DNS_SERVERS: dns.address, ALLOW_PRIVATE_URLS: 'false' });
});
test.afterAll(async () => {
  await portal?.stop();
  await idpServer?.close();
  await dns?.close();
});

test('an IT admin adds a domain, a check before the TXT record exists is refused and audited, then it is verified and routes /sso?email= to the IdP', async ({ browser }) => {
  test.setTimeout(120_000);
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Verify Co') } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['domains'] } });
  expect(link.status).toBe(201);

  const admin = await browser.newContext({ baseURL: portal.url });
  const page = await admin.newPage();
  await openSetupLink(page, link.body.url);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Domains' }).click();
  await expect(page.getByRole('heading', { name: 'Domains' })).toBeVisible();
  await expect(page.getByText('No domains yet')).toBeVisible();

  // A consumer mail domain is refused at the field.
  await page.getByLabel('Email domain').fill('gmail.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await expect(page.getByText(/consumer|personal|cannot belong/i).first()).toBeVisible();

  await page.getByLabel('Email domain').fill(domain.toUpperCase());
  await page.getByRole('button', { name: 'Add domain' }).click();
  const card = page.getByLabel(`Domain ${domain}`);
  await expect(card).toBeVisible();
  await expect(card.getByText('not verified', { exact: true })).toBeVisible();
  await expect(card.getByText('not used for sign-in until verified')).toBeVisible();

  // The record to publish, as the console shows it (and the API lists it).
  const recordName = (await card.getByLabel(`TXT record name for ${domain}`).textContent())!.trim();
  const recordValue = (await card.getByLabel(`TXT record value for ${domain}`).textContent())!.trim();
  expect(recordName).toBe(`_sso-portal-verification.${domain}`);
  expect((await api(`/tenants/${tenant.id}/domains`)).body.data).toEqual([
    expect.objectContaining({ domain, verified: false, addedBy: 'admin', trusted: false, verificationRecord: { type: 'TXT', name: recordName, value: recordValue } }),
  ]);

  // Not verified yet: home-realm discovery does not know the domain.
  const endUser = await browser.newContext({ baseURL: portal.url });
  const p = await endUser.newPage();
  const unknown = await p.goto(`/sso?email=${encodeURIComponent(email)}`);
  expect(unknown?.status()).toBe(404);
  await expect(p.locator('[data-reason]')).toHaveText('unknown_tenant');

  // Checked before the record exists: refused, clearly, and audited.
  await card.getByRole('button', { name: `Check now: ${domain}` }).click();
  await expect(card.getByRole('status')).toHaveText(/TXT record was not found yet/);
  await expect(card.getByText('not verified', { exact: true })).toBeVisible();
  const failed = (await api(`/tenants/${tenant.id}/audit-logs?action=domain.verification_failed`)).body.data;
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ outcome: 'failure', reason: 'txt_record_missing', actor: { type: 'admin' }, target: { type: 'domain', id: domain } });
  expect((await api(`/tenants/${tenant.id}/audit-logs?action=domain.verified`)).body.data).toHaveLength(0);

  // The admin publishes the record; the next check verifies the domain.
  records.set(recordName, [recordValue]);
  await card.getByRole('button', { name: `Check now: ${domain}` }).click();
  await expect(card.getByRole('status')).toHaveText('Verified.');
  await page.reload();
  await expect(page.getByLabel(`Domain ${domain}`).getByText('verified', { exact: true })).toBeVisible();
  await expect(page.getByLabel(`Domain ${domain}`).getByText('used for sign-in', { exact: true })).toBeVisible();
  const verified = (await api(`/tenants/${tenant.id}/audit-logs?action=domain.verified`)).body.data;
  expect(verified).toHaveLength(1);
  expect(verified[0]).toMatchObject({ outcome: 'success', actor: { type: 'admin' }, details: { before: { verified: false }, after: { verified: true } } });
  expect((await api(`/tenants/${tenant.id}/audit-logs?action=domain.verification_failed`)).body.data).toHaveLength(1);

  // Now /sso?email= routes to the tenant's IdP, and the person signs in.
  await p.goto(`/sso?email=${encodeURIComponent(email)}`);
  await expect(p.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  const session = await (await p.request.get('/api/auth/session')).json();
  expect(session.user).toMatchObject({ email, tenantId: tenant.id });
  expect((await api(`/tenants/${tenant.id}/audit-logs/verify`)).body).toMatchObject({ intact: true });
  await endUser.close();
  await admin.close();
});

test('the console refuses metadata URLs it must not fetch, says why, and audits the refusal', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Ssrf Co') } })).body;
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['sso'] } });
  const admin = await browser.newContext({ baseURL: portal.url });
  const page = await admin.newPage();
  await openSetupLink(page, link.body.url);
  await page.goto(`/t/${tenant.slug}/connections/new`);
  await page.getByLabel('Other SAML 2.0 provider').check();
  await page.getByLabel('…or metadata URL').fill('https://127.0.0.1/metadata?token=secret');
  await page.getByRole('button', { name: 'Check metadata' }).click();
  await expect(page.getByText(/private, loopback or link-local address; not allowed/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save connection' })).toBeDisabled();

  const refused = (await api(`/tenants/${tenant.id}/audit-logs?action=connection.create_refused`)).body.data;
  expect(refused).toHaveLength(1);
  expect(refused[0]).toMatchObject({
    outcome: 'failure',
    reason: 'url_not_allowed',
    actor: { type: 'admin' },
    details: { type: 'saml', metadataUrl: 'https://127.0.0.1/metadata', step: 'check' },
  });
  expect((await api(`/tenants/${tenant.id}/connections`)).body.data).toEqual([]);
  await admin.close();
});
