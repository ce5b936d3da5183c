import { readFileSync } from 'node:fs';
import { expect, test, type Browser } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq, toasts } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

let idpServer: SamlIdpServer;
const domain = `${uniq('review')}.example.com`;
const kim = `kim@${domain}`;
const lee = `lee@${domain}`;

test.beforeAll(async () => {
  const port = await freePort();
  const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
  idpServer = await startSamlIdpServer({ port, idp, users: [{ email: kim, attributes: { groups: ['Editors'] } }, { email: lee }] });
});
test.afterAll(async () => idpServer?.close());

async function signIn(browser: Browser, email: string) {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(`/sso?email=${encodeURIComponent(email)}`);
  await p.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(p).toHaveURL(/\/app$/);
  return ctx;
}

async function scimUser(scimUrl: string, token: string, email: string) {
  const res = await fetch(`${scimUrl}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ userName: email, active: true, emails: [{ type: 'work', primary: true, value: email }] }),
  });
  expect(res.status).toBe(201);
}

test('access review: filters, charts, bulk suspend behind a confirmation, CSV download, inactivity policy and audit retention', async ({ page, browser }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Review Co'), domains: [domain] } })).body;
  const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
  expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);
  expect(
    (await api(`/tenants/${tenant.id}/role-mappings`, { method: 'PUT', body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Editors', role: 'editor' }], defaultRole: 'member' } }))
      .status,
  ).toBe(200);
  // Two people sign in through SSO (jit); the directory pushes two who never sign in.
  const kimCtx = await signIn(browser, kim);
  const leeCtx = await signIn(browser, lee);
  const dir = (await api(`/tenants/${tenant.id}/directories`, { method: 'POST', body: { name: 'HR', provider: 'generic' } })).body;
  await scimUser(dir.scimUrl, dir.bearerToken, `ada@${domain}`);
  await scimUser(dir.scimUrl, dir.bearerToken, `bob@${domain}`);

  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/t/${tenant.slug}`);
  await page.getByRole('link', { name: 'Access review' }).click();
  await expect(page.getByRole('heading', { name: 'Access review' })).toBeVisible();

  // Charts: activity and users per role.
  await expect(page.getByRole('img', { name: /Users by activity: Active 4, Dormant \(> 30 d\) 0, Suspended 0/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Users per role: member 3, editor 1/ })).toBeVisible();

  const table = page.getByRole('table', { name: 'Access review' });
  await expect(table.getByRole('row')).toHaveCount(5);

  // Filters: never signed in (the SCIM users), then by role.
  await page.getByLabel('Show').selectOption('never_signed_in');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/filter=never_signed_in/);
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText(`ada@${domain}`);
  await expect(table).toContainText('scim');
  await expect(table).not.toContainText(kim);
  await page.getByRole('link', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/access-review$/);
  await page.getByLabel('Has role').selectOption('editor');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/role=editor/);
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(table).toContainText(kim);
  await page.getByLabel('Show').selectOption('inactive');
  await page.getByLabel('N days (inactive)').fill('0');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'These filters cannot be used' })).toContainText('inactiveDays');
  await page.getByRole('link', { name: 'Reset' }).click();
  await expect(page).toHaveURL(/\/access-review$/);

  // Bulk suspend lee and ada, behind a confirmation.
  await page.getByRole('checkbox', { name: `Select ${lee}` }).check();
  await page.getByRole('checkbox', { name: `Select ada@${domain}` }).check();
  await page.getByRole('button', { name: 'Suspend selected (2)' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Suspend 2 users?');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await api(`/tenants/${tenant.id}/audit-logs?action=user.suspended`)).body.data).toHaveLength(0);
  await page.getByRole('button', { name: 'Suspend selected (2)' }).click();
  await dialog.getByRole('button', { name: 'Suspend 2' }).click();
  await expect(page.getByText('Suspended 2 users.')).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: lee })).toContainText('suspended');
  await expect(table.getByRole('row').filter({ hasText: `ada@${domain}` })).toContainText('suspended');
  await expect(table.getByRole('row').filter({ hasText: kim })).toContainText('active');
  await expect(page.getByRole('img', { name: /Suspended 2/ })).toBeVisible();
  // lee's session is over at once; kim's is not.
  expect(await (await leeCtx.request.get('/api/auth/session')).json()).toBeNull();
  expect((await (await kimCtx.request.get('/api/auth/session')).json()).user.email).toBe(kim);
  const suspended = (await api(`/tenants/${tenant.id}/audit-logs?action=user.suspended`)).body.data;
  expect(suspended.map((e: { target: { label: string } }) => e.target.label).sort()).toEqual([`ada@${domain}`, lee]);

  // CSV download with the page's filters.
  await page.getByLabel('Status').selectOption('suspended');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(table.getByRole('row')).toHaveCount(3);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toMatch(/^access-review-.*\.csv$/);
  const csv = readFileSync((await download.path())!, 'utf8').split('\r\n');
  expect(csv[0]).toBe('id,email,first_name,last_name,roles,groups,source,status,last_sign_in_at,created_at,days_inactive');
  expect(csv.slice(1, -1).map((l) => l.split(',')[1]).sort()).toEqual([`ada@${domain}`, lee]);

  // Inactivity policy: 60 days; who is next and when.
  await page.getByRole('button', { name: '60 days' }).click();
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(toasts(page).getByText('Suspend after days without sign-in: saved.')).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/inactivity-policy`)).body).toEqual({ inactivityDays: 60 });
  const next = page.getByRole('list', { name: 'Next to be suspended' });
  await expect(next).toContainText(kim);
  await expect(next).toContainText('in 59 days');
  await expect(next).not.toContainText(`bob@${domain}`); // SCIM users are left to their directory
  await page.getByRole('textbox', { name: 'Suspend after days without sign-in' }).fill('0');
  await page.getByRole('button', { name: 'Save policy' }).click();
  await expect(page.getByText('must be from 1 to 3650 days')).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/inactivity-policy`)).body).toEqual({ inactivityDays: 60 });

  // Audit retention on the audit-log page.
  await page.goto(`/t/${tenant.slug}/audit-log`);
  await page.getByRole('textbox', { name: 'Keep audit events for (days)' }).fill('90');
  await page.getByRole('button', { name: 'Save retention' }).click();
  await expect(toasts(page).getByText('Keep audit events for (days): saved.')).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/audit-logs/retention`)).body).toEqual({ days: 90 });
  expect((await api(`/tenants/${tenant.id}/audit-logs?action=audit.retention_updated`)).body.data[0].details).toEqual({ before: { days: 365 }, after: { days: 90 } });
  await kimCtx.close();
  await leeCtx.close();
});
