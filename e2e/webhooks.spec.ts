import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { verifySignature } from '../lib/webhooks/signature';
import { api, uniq, toasts } from './support/api';
import { E2E } from './support/constants';

/**
 * The tenant console's Webhooks page against a real receiver: create a change webhook (secret
 * shown once), send a test event and see it in the delivery log, then suspend a user through the
 * API and see the shared portal's scheduler deliver `user.suspended`, signed, with the user's state.
 */

type Got = { path: string; headers: http.IncomingHttpHeaders; raw: string; body: any };
const got: Got[] = [];
let server: http.Server;
let port = 0;

test.beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      got.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

test('webhooks page: create, test event in the delivery log, user.suspended delivered by the scheduler', async ({ page }) => {
  const domain = `${uniq('hooks')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Webhook Co'), domains: [domain] } })).body;
  const path = `/hooks/${tenant.id}`;
  const url = `http://127.0.0.1:${port}${path}`;
  // What this endpoint received (an operator-wide stream in another test may post here too, elsewhere).
  const mineOnly = () => got.filter((g) => g.path === path);

  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto(`/t/${tenant.slug}/webhooks`);
  await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
  await expect(page.getByText('No endpoint yet.')).toBeVisible();

  // Bad input is refused in the form, naming the field.
  await page.getByLabel('Endpoint URL').fill('not a url');
  await page.getByRole('button', { name: 'Create endpoint' }).click();
  await expect(page.getByText('must be an absolute URL')).toBeVisible();

  await page.getByLabel('Endpoint URL').fill(url);
  await expect(page.getByLabel('Kind')).toHaveValue('webhook');
  await expect(page.getByLabel('Events')).toHaveValue('user.*, connection.*');
  await page.getByLabel('Description (optional)').fill('Provisioning sync');
  await page.getByRole('button', { name: 'Create endpoint' }).click();
  const secret = (await page.getByLabel('Signing secret').textContent())!.trim();
  expect(secret).toMatch(/^whsec_/);
  await expect(page.getByRole('table', { name: 'Webhook endpoints' })).toContainText(url);
  await expect(page.getByRole('table', { name: 'Webhook endpoints' })).toContainText('Change webhook');

  // The secret is never shown again.
  await page.reload();
  await expect(page.getByText(secret)).toHaveCount(0);

  // Test event: delivered at once, signed, in the log.
  await page.getByRole('link', { name: url }).click();
  await expect(page.getByRole('heading', { name: 'Webhook endpoint' })).toBeVisible();
  await expect(page.getByText('No delivery yet.')).toBeVisible();
  await page.getByRole('button', { name: 'Send test event' }).click();
  await expect(page.getByRole('status').filter({ hasText: /^Test event/ })).toContainText('delivered');
  const log = page.getByRole('table', { name: 'Delivery log' });
  await expect(log).toContainText('webhook.test');
  await expect(log).toContainText('204');
  const test1 = mineOnly().find((g) => g.body.type === 'webhook.test' && g.body.tenantId === tenant.id)!;
  expect(test1).toBeDefined();
  expect(verifySignature(test1.headers['portal-signature'] as string, test1.raw, secret)).toBe(true);

  // Resend from the log: the same event id again, marked manual.
  await log.getByRole('button', { name: 'Resend' }).first().click();
  await expect.poll(() => mineOnly().filter((g) => g.body.id === test1.body.id).length).toBe(2);

  // A user pushed by SCIM, then suspended through the API: the scheduler delivers user.suspended.
  const dir = (await api(`/tenants/${tenant.id}/directories`, { method: 'POST', body: { name: 'Okta' } })).body;
  const scimRes = await fetch(`${dir.scimUrl}/Users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${dir.bearerToken}`, 'content-type': 'application/scim+json' },
    body: JSON.stringify({ userName: `ada@${domain}`, active: true, emails: [{ primary: true, value: `ada@${domain}` }], name: { givenName: 'Ada', familyName: 'Lovelace' } }),
  });
  expect(scimRes.status).toBe(201);
  const user = (await api(`/tenants/${tenant.id}/users?email=${encodeURIComponent(`ada@${domain}`)}`)).body.data[0];
  expect((await api(`/tenants/${tenant.id}/users/${user.id}/suspend`, { method: 'POST' })).status).toBe(200);

  await expect
      .poll(() => mineOnly().find((g) => g.body.type === 'user.suspended')?.body.data.user?.status, { timeout: 20_000 })
    .toBe('suspended');
  const suspended = mineOnly().find((g) => g.body.type === 'user.suspended')!;
  expect(verifySignature(suspended.headers['portal-signature'] as string, suspended.raw, secret)).toBe(true);
  expect(suspended.headers['portal-event-id']).toBe(suspended.body.id);
  expect(suspended.body.data.target).toMatchObject({ type: 'user', id: user.id });
  // Only the subscribed events, in order: user.created (SCIM) before user.suspended; no directory.created.
  const mine = mineOnly().filter((g) => g.body.type !== 'webhook.test').map((g) => g.body.type);
  expect(new Set(mineOnly().filter((g) => g.body.type !== 'webhook.test').map((g) => g.body.id)).size).toBe(mine.length); // each event once
  expect(mine.indexOf('user.created')).toBeLessThan(mine.indexOf('user.suspended'));
  expect(mine).not.toContain('directory.created');

  await page.reload();
  await expect(log).toContainText('user.suspended');
  await expect(page.getByLabel('Health')).toContainText('healthy');

  // Edit: bad input is refused naming the field and changes nothing; a good edit is stored.
  const webhookId = new URL(page.url()).pathname.split('/').at(-1)!;
  await expect(page.getByLabel('Kind')).toBeDisabled();
  await page.getByLabel('Events').fill('user.*, not an event');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('must be *, a prefix such as user.*')).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/webhooks/${webhookId}`)).body.events).toEqual(['user.*', 'connection.*']);
  await page.getByLabel('Events').fill('user.suspended');
  // The form offers the event names: picking one adds it to the list.
  await page.getByLabel('Add an event').selectOption('user.deleted');
  await expect(page.getByLabel('Events')).toHaveValue('user.suspended, user.deleted');
  await page.getByLabel('Description (optional)').fill('Offboarding only');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(toasts(page).getByText(/^Endpoint saved\./)).toBeVisible();
  expect((await api(`/tenants/${tenant.id}/webhooks/${webhookId}`)).body).toMatchObject({
    url,
    kind: 'webhook',
    events: ['user.suspended', 'user.deleted'],
    description: 'Offboarding only',
  });
  await expect(page.getByText('events user.suspended, user.deleted · Offboarding only')).toBeVisible();

  // Disable, then delete behind a confirmation.
  await page.getByRole('button', { name: 'Disable' }).click();
  await expect(page.getByLabel('Health')).toContainText('disabled');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete endpoint' }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}/webhooks$`));
  await expect(page.getByText('No endpoint yet.')).toBeVisible();
});

test('operator webhooks page: an operator-wide SIEM stream receives events of every tenant', async ({ page }) => {
  const url = `http://127.0.0.1:${port}/operator/${uniq('siem')}`;
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
  await page.goto('/webhooks');
  await expect(page.getByRole('heading', { name: 'Webhooks', level: 1 })).toBeVisible();
  await page.getByLabel('Endpoint URL').fill(url);
  await page.getByLabel('Kind').selectOption('audit_stream');
  await expect(page.getByLabel('Events')).toHaveValue('*');
  await page.getByRole('button', { name: 'Create endpoint' }).click();
  const secret = (await page.getByLabel('Signing secret').textContent())!.trim();
  await expect(page.getByRole('table', { name: 'Webhook endpoints' })).toContainText('SIEM audit stream');

  // Events of two tenants made after the endpoint: both arrive, signed.
  const a = (await api('/tenants', { method: 'POST', body: { name: uniq('Stream A') } })).body;
  const b = (await api('/tenants', { method: 'POST', body: { name: uniq('Stream B') } })).body;
  const received = () => got.filter((g) => g.path === new URL(url).pathname && g.body.type === 'tenant.created' && [a.id, b.id].includes(g.body.tenantId));
  await expect.poll(() => received().length, { timeout: 20_000 }).toBe(2);
  for (const g of received()) expect(verifySignature(g.headers['portal-signature'] as string, g.raw, secret)).toBe(true);

  await page.getByRole('link', { name: url }).click();
  await expect(page.getByRole('heading', { name: 'Operator-wide webhook endpoint' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Delivery log' })).toContainText('tenant.created');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete endpoint' }).click();
  await expect(page).toHaveURL(/\/webhooks$/);
  await expect(page.getByRole('table', { name: 'Webhook endpoints' }).getByText(url)).toHaveCount(0);
});
