import { expect, test } from '@playwright/test';
import { startPortal, tempDataDir } from './support/portal';

/**
 * Defence in depth (issue: stored XSS through metadata): every page carries a Content-Security-
 * Policy with a per-request nonce that Next.js puts on its scripts; pages still work under it.
 */
test('pages carry a nonce CSP their own scripts satisfy, and work under it', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (execute|load|apply)/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto('/login');
  const csp = res!.headers()['content-security-policy'];
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  for (const d of ["default-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) expect(csp).toContain(d);
  const nonce = /'nonce-([^']+)'/.exec(csp)![1];
  const scripts = await page.locator('script[src]').evaluateAll((els) => els.map((e) => (e as HTMLScriptElement).nonce));
  expect(scripts.length).toBeGreaterThan(0);
  expect(new Set(scripts)).toEqual(new Set([nonce]));
  // The page is interactive (hydrated): client-side validation runs.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Enter an email address')).toBeVisible();
  // A second request gets another nonce.
  const again = await page.request.get('/login');
  expect(again.headers()['content-security-policy']).not.toContain(nonce);
  expect(violations).toEqual([]);
});

test('an oversized or length-less server action body is a 413 / 411, not a 500', async ({ request }) => {
  const big = await request.post('/login', { headers: { 'next-action': 'x'.repeat(40), 'content-type': 'text/plain' }, data: 'x'.repeat(1024 * 1024 + 1) });
  expect(big.status()).toBe(413);
  const res = await fetch(`${test.info().project.use.baseURL}/login`, {
    method: 'POST',
    headers: { 'next-action': 'x'.repeat(40) },
    body: new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode('[]'));
        c.close();
      },
    }),
    duplex: 'half',
  } as RequestInit);
  expect(res.status).toBe(411);
});

test('the icon answers at /favicon.ico too (asked for where a page declares none)', async ({ request }) => {
  const res = await request.get('/favicon.ico');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('image/svg+xml');
  expect((await res.text()).startsWith('<svg')).toBe(true);
});

test('HSTS once PUBLIC_URL is https', async () => {
  const portal = await startPortal({ DATA_DIR: tempDataDir(), PUBLIC_URL: 'https://sso.portal.test', OPERATOR_API_KEY: 'hsts-test-key-0123456789' });
  try {
    const page = await fetch(`${portal.url}/login`);
    expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const error = await fetch(`${portal.url}/sso?tenant=nobody`);
    expect(error.status).toBe(404);
    expect(error.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect(error.headers.get('content-security-policy')).toContain("script-src 'none'");
  } finally {
    await portal.stop();
  }
});
