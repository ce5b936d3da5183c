import { expect, test } from '@playwright/test';
import { startOidcIdp, type OidcIdp, type OidcTestUser } from './idp/oidc-idp';
import { api, uniq } from './support/api';
import { E2E } from './support/constants';
import { freePort } from './support/portal';

const CLIENT_ID = 'portal-e2e';
const CLIENT_SECRET = 'portal-e2e-secret-0123456789';

// Tests may run in parallel on different workers, each with its own provider (beforeAll runs per
// worker): every test makes its own tenant and connection, pointing at its worker's provider.
const domain = `${uniq('oidc')}.example.com`;
const email = `grace@${domain}`;
const cancelDomain = `${uniq('oidc-quit')}.example.com`;
const quitter = `quitter@${cancelDomain}`;
// The provider reads these objects at every sign-in, so a test can change groups between sign-ins.
const grace: OidcTestUser = { sub: uniq('grace'), email, given_name: 'Grace', family_name: 'Hopper', groups: ['Engineering'] };

let idp: OidcIdp;

test.beforeAll(async () => {
  idp = await startOidcIdp({
    port: await freePort(),
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${E2E.baseURL}/api/oauth/oidc`] }],
    users: [grace, { sub: uniq('quitter'), email: quitter }],
  });
});
test.afterAll(async () => idp?.close());

/** A tenant for `tenantDomain` with an OIDC connection to this worker's provider, through the operator API. */
async function connectTenant(tenantDomain: string) {
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Initech'), domains: [tenantDomain] } })).body;
  const connection = await api(`/tenants/${tenant.id}/connections`, {
    method: 'POST',
    body: { type: 'oidc', discoveryUrl: idp.discoveryUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  });
  expect(connection.status, JSON.stringify(connection.body)).toBe(201);
  expect(connection.body).toMatchObject({ type: 'oidc', idp: { issuer: idp.issuer } });
  return tenant as { id: string; name: string };
}

test('operator connects an OIDC provider; an end user signs in just in time with mapped roles; a second sign-in updates them', async ({ page }) => {
  const tenant = await connectTenant(domain);
  const mapping = await api(`/tenants/${tenant.id}/role-mappings`, {
    method: 'PUT',
    body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'viewer' },
  });
  expect(mapping.status).toBe(200);

  // The end user signs in by email and picks themselves at the provider.
  await page.goto('/signin');
  await page.getByLabel('Work email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Test OpenID Provider' })).toBeVisible();
  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByTestId('user-email')).toHaveText(email);
  await expect(page.getByTestId('user-name')).toHaveText('Grace Hopper');
  await expect(page.getByTestId('user-tenant')).toHaveText(tenant.name);
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText('editor');
  await expect(page.getByRole('list', { name: 'Groups' })).toHaveText('Engineering');
  const session = await (await page.request.get('/api/auth/session')).json();
  expect(session.user).toMatchObject({ email, tenantId: tenant.id, roles: ['editor'] });

  const users = (await api(`/tenants/${tenant.id}/users?email=${encodeURIComponent(email)}`)).body.data;
  expect(users).toHaveLength(1);
  expect(users[0]).toMatchObject({ email, firstName: 'Grace', lastName: 'Hopper', roles: ['editor'], source: 'jit', status: 'active' });

  // The provider moves the user out of Engineering: the next sign-in takes the role away.
  grace.groups = ['Sales'];
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/signin$/);
  await page.goto(`/sso?email=${encodeURIComponent(email)}`);
  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await expect(page).toHaveURL(/\/app$/);
  await expect(page.getByRole('list', { name: 'Roles' })).toHaveText('viewer');
  await expect(page.getByRole('list', { name: 'Groups' })).toHaveText('Sales');
  const again = (await api(`/tenants/${tenant.id}/users`)).body.data;
  expect(again).toHaveLength(1);
  expect(again[0]).toMatchObject({ roles: ['viewer'], groups: ['Sales'] });
});

test('cancelling at the provider ends on an error page and signs nobody in', async ({ page }) => {
  const tenant = await connectTenant(cancelDomain);
  await page.goto('/signin');
  await page.getByLabel('Work email').fill(quitter);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Cancel', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Sign-in failed' })).toBeVisible();
  await expect(page.locator('[data-reason]')).toHaveText('idp_error');
  expect(await (await page.request.get('/api/auth/session')).json()).toBeNull();
  expect((await api(`/tenants/${tenant.id}/users`)).body.data).toHaveLength(0);
  // The refusal is in this tenant's audit log, with its reason.
  const failed = (await api(`/tenants/${tenant.id}/audit-logs?action=sso.login_failed`)).body.data;
  expect(failed.map((e: { reason: string }) => e.reason)).toEqual(['idp_error']);
});
