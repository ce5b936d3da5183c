import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import pg from 'pg';
import { api, uniq, toasts } from './support/api';
import { E2E } from './support/constants';
import { freePort, startPortal, tempDataDir, type Portal } from './support/portal';

const PG_ADMIN = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

test('the operator registers an application (secret shown once), edits it, rotates its secret and deletes it', async ({ page }) => {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Apps Co') } })).body;
  await page.goto('/login');
  await page.getByLabel('Email').fill(E2E.operatorEmail);
  await page.getByLabel('Password').fill(E2E.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Applications' })).toBeVisible();

  const name = uniq('Billing app');
  await page.getByLabel('Name', { exact: true }).fill(name);
  // A redirect URI that is not https (and not loopback) is refused, naming the field.
  await page.getByLabel('Redirect URIs', { exact: true }).fill('http://billing.example.com/callback');
  await page.getByRole('button', { name: 'Register application' }).click();
  await expect(page.getByText('must be an https:// URL (http:// only on a loopback host)').first()).toBeVisible();
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback');
  await page.getByLabel('Only users of the tenants below may sign in').check();
  await page.getByLabel(new RegExp(tenant.slug)).check();
  await page.getByRole('button', { name: 'Register application' }).click();
  const secretShown = page.locator('code[aria-label="Client secret"]');
  await expect(secretShown).toHaveText(/^cs_/);
  const secret = (await secretShown.textContent())!.trim();
  const clientId = (await page.locator('code[aria-label="Client ID"]').textContent())!.trim();
  expect(secret).toMatch(/^cs_/);
  const apps = (await api('/applications?limit=200')).body.data;
  const app = apps.find((a: { clientId: string }) => a.clientId === clientId);
  expect(app).toMatchObject({ name, redirectUris: ['https://billing.example.com/callback'], tenantIds: [tenant.id], type: 'confidential' });
  expect(JSON.stringify(apps)).not.toContain(secret);

  // Its page: edit the redirect URIs, rotate the secret (shown once), delete after confirming.
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByLabel('Redirect URIs', { exact: true })).toHaveValue('https://billing.example.com/callback');
  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://billing.example.com/callback\nhttp://localhost:4000/callback');
  await page.getByLabel('Initiate login URI').fill('https://billing.example.com/login');
  await page.getByRole('button', { name: 'Save application' }).click();
  await expect(toasts(page).getByText('Application saved.')).toBeVisible();
  expect((await api(`/applications/${app.id}`)).body).toMatchObject({
    redirectUris: ['https://billing.example.com/callback', 'http://localhost:4000/callback'],
    initiateLoginUri: 'https://billing.example.com/login',
  });
  await page.getByRole('button', { name: 'Rotate secret…' }).click();
  await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
  await expect(secretShown).toHaveText(/^cs_/);
  const rotated = (await secretShown.textContent())!.trim();
  expect(rotated).not.toBe(secret);
  await page.getByRole('button', { name: 'Delete application…' }).click();
  await page.getByRole('button', { name: 'Delete application', exact: true }).click();
  await expect(page).toHaveURL(/\/applications$/);
  expect((await api(`/applications/${app.id}`)).status).toBe(404);
  const events = (await api('/applications?limit=200')).body.data.map((a: { id: string }) => a.id);
  expect(events).not.toContain(app.id);
});

test('the operator rotates the OpenID Provider’s signing keys in the console: refused while the next key is new, then the next key signs and the old one stays published', async ({ page }) => {
  test.setTimeout(150_000);
  // The next key's age decides, so this test has a portal of its own on a fresh PostgreSQL
  // database, where it ages the key instead of waiting two minutes.
  const name = `portal_e2e_${randomBytes(4).toString('hex')}`;
  const dbUrl = Object.assign(new URL(PG_ADMIN), { pathname: `/${name}` }).toString();
  const key = 'keys-spec-key-0123456789';
  const port = await freePort();
  const base = `http://localhost:${port}`;
  const dataDir = tempDataDir();
  let portal: Portal | undefined;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  const db = new pg.Client({ connectionString: dbUrl });
  try {
    await admin.connect();
    await admin.query(`create database ${name}`);
    portal = await startPortal({
      DATABASE_URL: dbUrl,
      OPERATOR_API_KEY: key,
      OPERATOR_EMAIL: E2E.operatorEmail,
      OPERATOR_PASSWORD: E2E.operatorPassword,
      AUTH_SECRET: randomBytes(32).toString('hex'),
      PUBLIC_URL: base,
      PORT: String(port),
      DATA_DIR: dataDir,
    });
    await db.connect();
    const before = (await api('/oidc/signing-keys', { key, base })).body.data as { kid: string; state: string }[];
    const signing = before.find((k) => k.state === 'current')!;
    const ahead = before.find((k) => k.state === 'next')!;

    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(E2E.operatorEmail);
    await page.getByLabel('Password').fill(E2E.operatorPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Applications' }).click();
    const keys = page.getByRole('table', { name: 'Signing keys' });
    await expect(keys.getByRole('row').filter({ hasText: signing.kid })).toContainText('signing');
    await expect(keys.getByRole('row').filter({ hasText: ahead.kid })).toContainText('published ahead');

    // The next key was published moments ago: relying parties may not have seen it yet.
    await page.getByRole('button', { name: 'Rotate signing keys…' }).click();
    await page.getByRole('button', { name: 'Rotate keys', exact: true }).click();
    await expect(page.getByRole('alertdialog')).toContainText(/The next key was published \d+ s ago/);
    expect((await api('/oidc/signing-keys', { key, base })).body.data).toEqual(before);

    // Ten minutes later (its row aged), the rotation goes through.
    await db.query(`update oidc_signing_keys set created_at = created_at - interval '10 minutes' where kid = $1`, [ahead.kid]);
    await page.getByRole('button', { name: 'Rotate keys', exact: true }).click();
    await expect(toasts(page).getByText('Signing keys rotated.')).toBeVisible();
    await expect(keys.getByRole('row').filter({ hasText: ahead.kid })).toContainText('signing');
    await expect(keys.getByRole('row').filter({ hasText: signing.kid })).toContainText('retired');
    const after = (await api('/oidc/signing-keys', { key, base })).body.data as { kid: string; state: string; publishedUntil: string | null }[];
    expect(after.find((k) => k.kid === ahead.kid)?.state).toBe('current');
    expect(after.find((k) => k.kid === signing.kid)).toMatchObject({ state: 'retired', publishedUntil: expect.any(String) });
    // The retired key is still published (tokens it signed verify), beside the new signing key and the next one.
    const jwks = (await (await fetch(`${base}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([signing.kid, ahead.kid]));
    expect(jwks.keys).toHaveLength(3);
    // Recorded in the operator's audit log.
    const [event] = (await db.query(`select actor_type, details from audit_events where action = 'oidc_signing_key.rotated'`)).rows;
    expect(event).toMatchObject({ actor_type: 'operator', details: { before: { current: signing.kid }, after: { current: ahead.kid } } });
  } finally {
    // Everything is released whatever failed (a failure to clean up does not hide the test's own).
    await Promise.allSettled([db.end(), portal?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
    await admin
      .query(`drop database if exists ${name} with (force)`)
      .catch(() => {})
      .finally(() => admin.end());
  }
});
