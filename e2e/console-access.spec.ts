import { expect, test, type Browser } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, openSetupLink, uniq, toasts } from './support/api';
import { freePort } from './support/portal';

/**
 * Console access after SSO is an explicit setting (GET/PUT …/console-access), empty by default;
 * nobody may grant, through a rule, a default role or that setting, a console section they do not
 * hold. The finding this guards: a setup link scoped to role mappings saved `email matches .* →
 * admin`, and every SSO user then opened the whole console, even after the link was revoked.
 */
let idpServer: SamlIdpServer;
const domain = `${uniq('console')}.example.com`;
const email = `grace@${domain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({
    port,
    idp,
    users: [{ email, attributes: { firstName: 'Grace', lastName: 'Hopper' } }],
    responseOptions: (u) => ({ attributes: { email: u.email, firstName: 'Grace', lastName: 'Hopper', groups: ['Staff'] } }),
  });
});
test.afterAll(async () => idpServer?.close());

async function signInThroughSso(browser: Browser) {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(`/sso?email=${encodeURIComponent(email)}`);
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  return { ctx, p };
}

test('console access: no role opens the console by default, a scoped setup link cannot grant more than it holds', async ({ browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Console Co'), domains: [domain] } })).body;
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataUrl: idpServer.metadataUrl } })).status).toBe(201);
  expect((await api(`/tenants/${tenant.id}/console-access`)).body).toEqual({ roles: {} });

  // A setup link scoped to role mappings maps everyone to admin: allowed, since admin opens nothing.
  const link = (await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['role_mappings'] } })).body;
  const adminCtx = await browser.newContext();
  const admin = await adminCtx.newPage();
  await openSetupLink(admin, link.url);
  await admin.goto(`/t/${tenant.slug}/role-mappings`);
  await admin.getByRole('button', { name: 'Add rule' }).click();
  const rule = admin.getByRole('group', { name: 'Rule 1' });
  await rule.getByLabel('Attribute').fill('email');
  await rule.getByLabel('Operator').selectOption('matches');
  await rule.getByLabel('Value').fill('.*');
  await rule.getByLabel('Role').selectOption('admin');
  await admin.getByRole('button', { name: 'Save rules' }).click();
  await expect(toasts(admin).getByText(/^Saved\./).last()).toBeVisible();

  // Every SSO user is now "admin" in the product, and still opens no console section.
  const user = await signInThroughSso(browser);
  await expect(user.p.getByRole('list', { name: 'Roles' })).toHaveText('admin');
  // Not a console user: the console sends them to the operators' sign-in.
  await user.p.goto(`/t/${tenant.slug}`);
  await expect(user.p).toHaveURL(/\/login/);
  // …which tells them why.
  await expect(user.p.getByText(/You are signed in as .*, whose roles open no part of your organisation’s console/)).toBeVisible();
  await user.p.goto(`/t/${tenant.slug}/users`);
  await expect(user.p).toHaveURL(/\/login/);

  // The setup link cannot change console access (it does not hold every section).
  await admin.goto(`/t/${tenant.slug}/console-access`);
  await expect(admin.getByText('Only an admin who holds every section of this console may change who opens it.')).toBeVisible();
  await expect(admin.getByRole('button', { name: 'Save console access' })).toHaveCount(0);

  // The operator opens the audit log to admins; the user's next request shows only that section.
  const put = await api(`/tenants/${tenant.id}/console-access`, { method: 'PUT', body: { roles: { admin: ['audit_log'] } } });
  expect(put.status).toBe(200);
  expect(put.body).toEqual({ roles: { admin: ['audit_log'] } });
  await user.p.goto(`/t/${tenant.slug}`);
  const nav = user.p.getByRole('navigation', { name: 'Sections' });
  await expect(nav.getByRole('link', { name: 'Audit log' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
  expect((await user.p.goto(`/t/${tenant.slug}/connections`))?.status()).toBe(404);

  // Now the role-mappings link may not hand out admin (it does not hold the audit log) in a new rule…
  await admin.goto(`/t/${tenant.slug}/role-mappings`);
  await admin.getByRole('button', { name: 'Add rule' }).click();
  const second = admin.getByRole('group', { name: 'Rule 2' });
  await second.getByLabel('Attribute').fill('groups');
  await second.getByLabel('Operator').selectOption('contains');
  await second.getByLabel('Value').fill('Staff');
  await second.getByLabel('Role').selectOption('admin');
  await admin.getByRole('button', { name: 'Save rules' }).click();
  await expect(admin.getByText(/opens console sections you do not hold \(audit_log\)/).first()).toBeVisible();
  // …while a rule it does not touch (rule 1, saved earlier) and a harmless role are fine.
  await second.getByLabel('Role').selectOption('editor');
  await admin.getByRole('button', { name: 'Save rules' }).click();
  await expect(toasts(admin).getByText(/^Saved\./).last()).toBeVisible();
  const stored = (await api(`/tenants/${tenant.id}/role-mappings`)).body;
  expect(stored.rules.map((r: { role: string }) => r.role)).toEqual(['admin', 'editor']);

  // Bad input through the API: a 400 naming the field, nothing stored.
  const bad = await api(`/tenants/${tenant.id}/console-access`, { method: 'PUT', body: { roles: { admin: ['everything'] } } });
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].path).toBe('roles.admin.0');
  expect((await api(`/tenants/${tenant.id}/console-access`)).body).toEqual({ roles: { admin: ['audit_log'] } });

  await adminCtx.close();
  await user.ctx.close();
});
