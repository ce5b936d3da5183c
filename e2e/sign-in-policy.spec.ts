import { randomBytes } from 'node:crypto';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { startSamlIdpServer, TestSamlIdp, type ParsedAuthnRequest, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq, openSetupLink, toasts } from './support/api';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';

const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const MULTI_FACTOR = 'urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor';

let idpServer: SamlIdpServer;
const domain = `${uniq('mfa')}.example.com`;
const passwordOnly = `ada@${domain}`;
const withMfa = `mia@${domain}`;
const requests: ParsedAuthnRequest[] = [];

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({
    port,
    idp,
    users: [
      { email: passwordOnly, attributes: { firstName: 'Ada' } }, // PasswordProtectedTransport, the default
      { email: withMfa, attributes: { firstName: 'Mia' }, authnContextClassRef: MULTI_FACTOR },
    ],
    responseOptions: (_u, request) => {
      if (request) requests.push(request);
      return {};
    },
  });
});
test.afterAll(async () => idpServer?.close());

test('MFA required: a password-only sign-in ends on a page that says why and is in the audit log; an MFA sign-in gets a session as long as the policy allows', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Strict Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);
  const policy = await api(`/tenants/${tenant.id}/sign-in-policy`, { method: 'PUT', body: { requireMfa: true, sessionMaxAgeSeconds: 3600 } });
  expect(policy.status).toBe(200);

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto('/signin');
  await page.getByLabel('Work email').fill(passwordOnly);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Test IdP' })).toBeVisible();
  const acsAnswer = page.waitForResponse((r) => r.url().endsWith('/api/oauth/saml') && r.request().method() === 'POST');
  await page.getByRole('button', { name: `Sign in as ${passwordOnly}` }).click();
  expect((await acsAnswer).status()).toBe(403);
  // The portal asked the IdP for MFA in its AuthnRequest.
  expect(requests.at(-1)?.requestedAuthnContext).toEqual({
    comparison: 'exact',
    classRefs: expect.arrayContaining(['https://refeds.org/profile/mfa', MULTI_FACTOR]),
  });
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('requires multi-factor authentication');
  await expect(page.locator('[data-reason]')).toHaveText('mfa_required');
  expect(await (await page.request.get('/api/auth/session')).json()).toBeNull();

  const failed = (await api(`/tenants/${tenant.id}/audit-logs?action=sso.login_failed`)).body.data;
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatchObject({ outcome: 'failure', reason: 'mfa_required', details: { authnContext: expect.stringContaining('PasswordProtectedTransport') } });
  expect((await api(`/tenants/${tenant.id}/users`)).body.data).toHaveLength(0);

  // The same IdP with MFA: signed in, and the session ends within the policy's lifetime.
  await page.goto(`/sso?email=${encodeURIComponent(withMfa)}`);
  const before = Date.now();
  await page.getByRole('button', { name: `Sign in as ${withMfa}` }).click();
  await expect(page).toHaveURL(/\/app$/);
  const session = await (await page.request.get('/api/auth/session')).json();
  expect(session.user).toMatchObject({ email: withMfa, tenantId: tenant.id });
  const expires = Date.parse(session.expires);
  expect(expires).toBeGreaterThan(before + 3500_000);
  expect(expires).toBeLessThanOrEqual(Date.now() + 3600_000);
  await ctx.close();
});

test('the console form: field errors name the bad line, a console allowlist that locks out its admin is refused, then the console IP allowlist answers a 403 page', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Policy Co'), domains: [`${uniq('pol')}.example.com`] } })).body;
  // The console allowlist can shut out every admin: only one who holds every section sets it.
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains'] } });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await openSetupLink(page, link.body.url);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Sign-in policy' }).click();
  await expect(page.getByRole('heading', { name: 'Sign-in policy' })).toBeVisible();
  const ownIp = (await page.getByTestId('own-ip').textContent())!.trim();
  expect(ownIp).not.toBe('unknown');
  const save = page.getByRole('button', { name: 'Save sign-in policy' });

  // Checked in the browser with the shared schema: the bad line is named.
  await page.getByLabel('Sign-in IP allowlist').fill('203.0.113.0/24\n10.0.0.1/8');
  await save.click();
  await expect(page.getByText(/Line 2: "10\.0\.0\.1\/8" has host bits set; did you mean 10\.0\.0\.0\/8/)).toBeVisible();
  await page.getByLabel('Sign-in IP allowlist').fill('203.0.113.0/24');

  // A console allowlist without the admin's own address would lock them out: refused by the server.
  await page.getByLabel('Console IP allowlist').fill('198.51.100.0/24');
  await save.click();
  await expect(page.getByText(`your own address ${ownIp} is not in this list`)).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/sign-in-policy`)).body.consoleIpAllowlist).toEqual([]);

  await page.getByLabel('Console IP allowlist').fill(`198.51.100.0/24\n${ownIp}`);
  await page.getByLabel('Require multi-factor authentication').check();
  await page.getByLabel('Session lifetime', { exact: true }).fill('8');
  await page.getByLabel('Session lifetime unit').selectOption('hours');
  await page.getByLabel('Idle timeout', { exact: true }).fill('30');
  await page.getByLabel('Idle timeout unit').selectOption('minutes');
  await save.click();
  await expect(toasts(page).getByText('Sign-in policy saved.')).toBeVisible();
  const stored = (await api(`/tenants/${tenant.id}/sign-in-policy`)).body;
  expect(stored).toMatchObject({ requireMfa: true, ipAllowlist: ['203.0.113.0/24'], sessionMaxAgeSeconds: 28800, sessionIdleSeconds: 1800 });
  expect(stored.consoleIpAllowlist).toHaveLength(2);
  expect(stored.consoleIpAllowlist[0]).toBe('198.51.100.0/24');
  expect(stored.consoleIpAllowlist[1]).toMatch(ownIp.includes(':') ? /\/128$/ : /\/32$/);
  const updated = (await api(`/tenants/${tenant.id}/audit-logs?action=sign_in_policy.updated`)).body.data;
  expect(updated).toHaveLength(1);
  expect(updated[0]).toMatchObject({ actor: { type: 'admin' }, details: { before: { requireMfa: false }, after: { requireMfa: true, sessionIdleSeconds: 1800 } } });

  // The operator narrows the console allowlist: the admin's next request answers a 403 page.
  // (In a second tab of the same browser: the form's refresh after saving cannot cut it short.)
  expect((await api(`/tenants/${tenant.id}/sign-in-policy`, { method: 'PUT', body: { ...stored, consoleIpAllowlist: ['198.51.100.0/24'] } })).status).toBe(200);
  await page.close();
  const tab = await ctx.newPage();
  const blocked = await tab.goto(`/t/${tenant.slug}/provisioning`);
  expect(blocked?.status()).toBe(403);
  await expect(tab.getByRole('heading', { name: 'Console not available from this network' })).toBeVisible();
  await expect(tab.getByRole('alert')).toContainText('approved networks');
  await expect(tab.locator('[data-reason]')).toHaveText('console_ip_not_allowed');
  await ctx.close();
});

test('idle timeout: a session left unused for longer than the policy allows is ended and the user signed out', async ({ browser }) => {
  test.setTimeout(150_000);
  // Time passes in the database: the session's row is aged rather than minutes waited for, so this
  // test has a portal of its own on a fresh PostgreSQL database, which it can reach.
  const name = `portal_e2e_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const dbUrl = Object.assign(new URL(PG_ADMIN), { pathname: `/${name}` }).toString();
  const key = 'idle-spec-key-0123456789';
  const portPortal = await freePort();
  const base = `http://localhost:${portPortal}`;
  const port = await freePort();
  const d = `${uniq('idle')}.example.com`;
  const email = `bo@${d}`;
  let portal: Portal | undefined;
  let server: SamlIdpServer | undefined;
  const db = new pg.Client({ connectionString: dbUrl });
  try {
    portal = await startPortal({ DATABASE_URL: dbUrl, OPERATOR_API_KEY: key, AUTH_SECRET: randomBytes(32).toString('hex'), PUBLIC_URL: base, PORT: String(portPortal), DATA_DIR: tempDataDir() });
    await db.connect();
    server = await startSamlIdpServer({
      port,
      idp: new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` }),
      users: [{ email }],
    });
    const tenant = (await api('/tenants', { method: 'POST', key, base, body: { name: uniq('Idle Co'), domains: [d] } })).body;
    const metadataXml = await (await fetch(server.metadataUrl)).text();
    expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', key, base, body: { type: 'saml', metadataXml } })).status).toBe(201);
    expect((await api(`/tenants/${tenant.id}/sign-in-policy`, { method: 'PUT', key, base, body: { sessionIdleSeconds: 60 } })).status).toBe(200);
    /** `seconds` pass for the tenant's sessions: every time they recorded moves that far back. */
    const pass = (seconds: number) =>
      db.query(`update sessions set created_at = created_at - make_interval(secs => $1), last_seen_at = last_seen_at - make_interval(secs => $1) where tenant_id = $2`, [seconds, tenant.id]);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/sso?email=${encodeURIComponent(email)}`);
    await page.getByRole('button', { name: `Sign in as ${email}` }).click();
    await expect(page).toHaveURL(`${base}/app`);
    const session = await (await page.request.get(`${base}/api/auth/session`)).json();
    // Idle deadline: the last recorded use + 60 s + the minute a use may go unrecorded (lastSeenAt is written once a minute).
    expect(Date.parse(session.expires)).toBeLessThanOrEqual(Date.now() + 120_000);
    // Used again after 40 s: still signed in.
    await pass(40);
    expect((await (await page.request.get(`${base}/api/auth/session`)).json())?.user?.email).toBe(email);
    // Then two minutes of nothing: over.
    await pass(122);
    expect(await (await page.request.get(`${base}/api/auth/session`)).json()).toBeNull();
    await page.goto(`${base}/app`);
    await expect(page).toHaveURL(/\/signin/);
    await ctx.close();
  } finally {
    // Everything is released whatever failed, the database last.
    await Promise.allSettled([server?.close(), db.end(), portal?.stop()]);
    await admin.query(`drop database if exists ${name} with (force)`).finally(() => admin.end());
  }
});
