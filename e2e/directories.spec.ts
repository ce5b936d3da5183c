import { expect, test } from '@playwright/test';
import { api, uniq, toasts, signInAsOperator } from './support/api';
import { E2E } from './support/constants';

/**
 * The tenant console's Directories page: create a directory (token shown once), provider set-up
 * steps with copy buttons, the request log with its status filter, users and groups pushed by
 * SCIM, and rotating and revoking the token behind confirmations.
 */


async function scim(scimUrl: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${scimUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

test('directory page: create, set-up steps, request log with status filter, users and groups, rotate and revoke', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  const domain = `${uniq('dirs')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Directory Co'), domains: [domain] } })).body;
  await signInAsOperator(page);
  await page.goto(`/t/${tenant.slug}/directories`);
  await expect(page.getByRole('heading', { name: 'Directories' })).toBeVisible();
  await expect(page.getByText('No directory yet.')).toBeVisible();

  // Create: the SCIM base URL and the token, shown once.
  await page.getByLabel('Directory name').fill('Entra production');
  await page.getByLabel('Identity provider').selectOption('entra');
  await page.getByRole('button', { name: 'Create directory' }).click();
  const created = page.getByLabel('New directory');
  await expect(created).toBeVisible();
  const scimUrl = (await created.getByLabel('SCIM base URL').textContent())!.trim();
  const token = (await created.getByLabel('Bearer token').textContent())!.trim();
  expect(scimUrl).toMatch(new RegExp(`^${E2E.baseURL}/api/scim/v2/dir_`));
  expect(token).toMatch(/^scim_/);
  await created.getByRole('button', { name: 'Copy token' }).click();
  await expect(created.getByRole('button', { name: 'Copied' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Directories' })).toContainText('Entra production');

  // The list never shows the token again.
  await page.reload();
  await expect(page.getByText(token)).toHaveCount(0);

  // SCIM traffic with the token: a user, a group with that user, a bad request, a wrong token.
  const user = await scim(scimUrl, token, 'POST', '/Users', {
    userName: `grace@contoso.onmicrosoft.com`,
    active: 'True',
    emails: [{ type: 'work', primary: true, value: `grace@${domain}` }],
    name: { givenName: 'Grace', familyName: 'Hopper' },
  });
  expect(user.status).toBe(201);
  const group = await scim(scimUrl, token, 'POST', '/Groups', { displayName: 'Engineering', members: [{ value: user.body.id }] });
  expect(group.status).toBe(201);
  expect((await scim(scimUrl, token, 'POST', '/Users', '{"userName": ')).status).toBe(400);
  expect((await scim(scimUrl, 'not-the-token', 'GET', '/Users')).status).toBe(401);

  // Set-up steps for Entra ID, with the value to paste and a copy button.
  await page.getByRole('link', { name: 'Entra production' }).click();
  await expect(page.getByRole('heading', { name: 'Entra production' })).toBeVisible();
  const steps = page.getByRole('list', { name: 'Set-up steps' });
  await expect(steps).toContainText('Tenant URL');
  await expect(steps.getByLabel('Tenant URL')).toHaveText(scimUrl);
  await steps.getByRole('button', { name: 'Copy' }).first().click();
  await expect(steps.getByRole('button', { name: 'Copied' }).first()).toBeVisible();

  // The request log: newest first, typed outcomes, summaries, no token.
  const log = page.getByRole('table', { name: 'SCIM requests' });
  await expect(log.getByRole('row')).toHaveCount(5);
  await expect(log).toContainText('POST /Users');
  await expect(log).toContainText('created user grace@contoso.onmicrosoft.com');
  await expect(log).toContainText('unauthorized');
  await expect(log).not.toContainText(token);
  await page.getByRole('group', { name: 'Filter by status' }).getByRole('link', { name: '4xx' }).click();
  await expect(page).toHaveURL(/status=4xx/);
  await expect(log.getByRole('row')).toHaveCount(3);
  await expect(log).not.toContainText('created user');
  await page.getByRole('group', { name: 'Filter by status' }).getByRole('link', { name: '401' }).click();
  await expect(log.getByRole('row')).toHaveCount(2);

  // Users and groups pushed by SCIM.
  await page.getByRole('navigation', { name: 'Directory sections' }).getByRole('link', { name: 'Users' }).click();
  const users = page.getByRole('table', { name: 'SCIM users' });
  await expect(users).toContainText('grace@contoso.onmicrosoft.com');
  await expect(users).toContainText(`grace@${domain}`);
  await expect(users).toContainText('Engineering');
  await page.getByRole('navigation', { name: 'Directory sections' }).getByRole('link', { name: 'Groups' }).click();
  await expect(page.getByRole('table', { name: 'SCIM groups' }).getByRole('row').filter({ hasText: 'Engineering' })).toContainText('1');

  // …and in the operator API, as portal users with source "scim".
  const portalUsers = await api(`/tenants/${tenant.id}/users`);
  expect(portalUsers.body.data).toEqual([expect.objectContaining({ email: `grace@${domain}`, source: 'scim', groups: ['Engineering'] })]);

  // Rotate (after confirming): a new token shown once; the old one stops at once.
  await page.getByRole('button', { name: 'Rotate token' }).click();
  const confirm = page.getByRole('alertdialog');
  await expect(confirm).toContainText('stops working at once');
  await confirm.getByRole('button', { name: 'Rotate token' }).click();
  const fresh = (await page.getByLabel('New bearer token').textContent())!.trim();
  expect(fresh).toMatch(/^scim_/);
  expect(fresh).not.toBe(token);
  expect((await scim(scimUrl, token, 'GET', '/Users')).status).toBe(401);
  expect((await scim(scimUrl, fresh, 'GET', '/Users')).status).toBe(200);

  // Revoke (cancel first, then confirm): nothing works any more.
  await page.getByRole('button', { name: 'Revoke token' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  expect((await scim(scimUrl, fresh, 'GET', '/Users')).status).toBe(200);
  await page.getByRole('button', { name: 'Revoke token' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
  await expect(toasts(page).getByText('Token revoked.')).toBeVisible();
  await expect(page.getByText('token revoked', { exact: true })).toBeVisible();
  expect((await scim(scimUrl, fresh, 'GET', '/Users')).status).toBe(401);
  await expect(page.getByRole('button', { name: 'Make a new token' })).toBeVisible();
});
