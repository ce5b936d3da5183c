import { expect, test, type Page } from '@playwright/test';
import { api, uniq, signInAsOperator } from './support/api';
import { E2E } from './support/constants';


const eventRows = (page: Page) => page.getByRole('table', { name: 'Audit events' }).locator('tbody > tr[data-event-id]');

test('the tenant audit log filters, expands, pages and exports; hostile values stay text', async ({ page }) => {
  const slug = uniq('audit').toLowerCase();
  const created = await api('/tenants', { method: 'POST', body: { name: 'Audit Trail Co', slug } });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  // A name with markup and a CR/LF: it must not inject HTML nor pass for two lines.
  const hostile = 'Evil\r\nCorp <img src=x onerror="window.__pwned=1"><b>bold</b>';
  expect((await api(`/tenants/${id}`, { method: 'PATCH', body: { name: hostile } })).status).toBe(200);
  const domain = `${uniq('trail')}.example.com`;
  expect((await api(`/tenants/${id}`, { method: 'PATCH', body: { name: 'Audit Trail Co', domains: [domain] } })).status).toBe(200);
  // 50 more changes, so the unfiltered log has a second page.
  for (let i = 0; i < 50; i++) expect((await api(`/tenants/${id}`, { method: 'PATCH', body: { name: `Audit Trail ${i}` } })).status).toBe(200);

  await signInAsOperator(page);
  await page.goto(`/t/${slug}`);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('heading', { name: 'Audit log' })).toBeVisible();
  await expect(page.getByText('Chain intact · 53 events checked')).toBeVisible();
  await expect(page.getByRole('img', { name: /Sign-ins per day over the last 14 days: 0 succeeded, 0 failed/ })).toBeVisible();

  // First page: 50 newest; the next page holds the rest, down to tenant.created.
  await expect(eventRows(page)).toHaveCount(50);
  await page.getByRole('link', { name: 'Next page' }).click();
  await expect(eventRows(page)).toHaveCount(3);
  await expect(eventRows(page).last()).toContainText('tenant.created');
  await expect(page.getByRole('link', { name: 'Next page' })).toHaveCount(0);
  await page.getByRole('link', { name: 'First page' }).click();
  await expect(eventRows(page)).toHaveCount(50);

  // Filter by free text (the hostile name is the target label of one event) and expand it.
  await page.getByLabel('Search').fill('<b>bold</b>');
  await page.getByLabel('Action').fill('tenant.*');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/q=%3Cb%3Ebold%3C%2Fb%3E/);
  await expect(eventRows(page)).toHaveCount(1); // the rename to it (its target label)
  const row = eventRows(page).first();
  await expect(row).toContainText('tenant.updated');
  await expect(row).toContainText('Evil␍␊Corp <img src=x onerror="window.__pwned=1"><b>bold</b>');
  await row.getByRole('button', { name: 'Details' }).click();
  await expect(row.getByRole('button', { name: 'Details' })).toHaveAttribute('aria-expanded', 'true');
  const detail = page.getByRole('region', { name: /^Event evt_/ });
  await expect(detail).toBeVisible();
  await expect(detail).toContainText('api key: OPERATOR_API_KEY');
  const json = JSON.parse((await detail.getByLabel('Details JSON').textContent())!);
  expect(json).toEqual({ before: { name: 'Audit Trail Co' }, after: { name: hostile } });
  // The change reads as a table too, the hostile name as text.
  const change = detail.getByRole('table', { name: 'Changes' }).getByRole('row', { name: /name/ });
  await expect(change).toContainText('Audit Trail Co');
  await expect(change).toContainText('<b>bold</b>');
  // Nothing was parsed as markup.
  await expect(page.locator('main img, main b')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // Outcome and time filters: nothing failed; nothing before 2000.
  await page.getByLabel('Outcome').selectOption('failure');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page.getByText('No event matches these filters.')).toBeVisible();
  await page.goto(`/t/${slug}/audit-log?until=2000-01-01T00:00`);
  await expect(page.getByText('No event matches these filters.')).toBeVisible();
  await page.goto(`/t/${slug}/audit-log?since=last-tuesday`);
  await expect(page.getByRole('alert').filter({ hasText: 'These filters cannot be used' })).toContainText('since: must be an ISO 8601 date or date-time');

  // Export with the filters of the page, through the console session.
  await page.goto(`/t/${slug}/audit-log?action=tenant.created`);
  await expect(eventRows(page)).toHaveCount(1);
  const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
  expect(href).toBe(`/t/${slug}/audit-log/export?action=tenant.created&format=csv`);
  const csv = await page.request.get(href!);
  expect(csv.status()).toBe(200);
  expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
  const lines = (await csv.text()).trimEnd().split('\r\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(',tenant.created,success,operator,');
  const nd = await page.request.get((await page.getByRole('link', { name: 'Export NDJSON' }).getAttribute('href'))!);
  expect(JSON.parse((await nd.text()).trim())).toMatchObject({ action: 'tenant.created', tenantId: id });

  // Both exports are on record, by the signed-in operator; the chain still verifies.
  await page.goto(`/t/${slug}/audit-log?action=audit.exported`);
  await expect(eventRows(page)).toHaveCount(2);
  await expect(eventRows(page).first()).toContainText(E2E.operatorEmail);
  await expect(page.getByText('Chain intact · 55 events checked')).toBeVisible();
  expect((await api(`/tenants/${id}/audit-logs/verify`)).body).toEqual({ intact: true, checked: 55, firstBrokenId: null });

  // Without a session the export is not served.
  const anon = await fetch(`${E2E.baseURL}${href}`, { redirect: 'manual' });
  expect([302, 303, 307, 308, 404]).toContain(anon.status);
  expect(anon.headers.get('content-type') ?? '').not.toContain('text/csv');
});

test('the operator-wide audit log shows every tenant with a tenant column', async ({ page }) => {
  const tag = uniq('wide');
  const a = await api('/tenants', { method: 'POST', body: { name: `Wide A ${tag}` } });
  const b = await api('/tenants', { method: 'POST', body: { name: `Wide B ${tag}` } });
  await signInAsOperator(page);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/audit-log$/);
  await expect(page.getByText(/Operator chain (intact|broken)/)).toBeVisible();
  await page.getByLabel('Search').fill(tag);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const table = page.getByRole('table', { name: 'Audit events' });
  await expect(eventRows(page)).toHaveCount(2);
  await expect(table.getByRole('columnheader', { name: 'Tenant' })).toBeVisible();
  await expect(table.getByRole('row').filter({ hasText: a.body.name })).toHaveCount(1);
  await expect(table.getByRole('row').filter({ hasText: b.body.name })).toHaveCount(1);

  await page.getByLabel('Tenant id').fill(a.body.id);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(eventRows(page)).toHaveCount(1);
  await expect(eventRows(page).first()).toContainText(a.body.name);
  await eventRows(page).first().getByRole('link', { name: a.body.name }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${a.body.slug}/audit-log$`));
});
