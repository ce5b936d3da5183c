import { expect } from '@playwright/test';
import { E2E } from './constants';

/** Calls the operator API of a portal with a bearer key (the shared portal's bootstrap key by default). */
export async function api(path: string, init: { method?: string; body?: unknown; key?: string; base?: string } = {}) {
  const res = await fetch(`${init.base ?? E2E.baseURL}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${init.key ?? E2E.apiKey}`,
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let n = 0;
export const uniq = (label: string) => `${label}-${Date.now().toString(36)}-${process.pid}-${n++}`;

/** Opens a setup link as a person does: the link's page, then Continue (a GET alone never uses it). */
export async function openSetupLink(page: import('@playwright/test').Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(/\/t\/[^/]+$/);
}

/** The confirmations ("Tenant saved.") shown as toasts, in their Radix notifications region. */
export const toasts = (page: import('@playwright/test').Page) => page.getByRole('region', { name: /^Notifications/ });

/** The operator's console sign-in with the e2e operator's password, ending on the tenant list. */
export async function signInAsOperator(page: import('@playwright/test').Page): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/tenants$/);
}
