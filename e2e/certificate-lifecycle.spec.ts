import { expect, test } from '@playwright/test';
import { createIdpKeyPair, TestSamlIdp } from './idp/saml-idp';
import { api, uniq } from './support/api';

test('an IT admin sees expiring IdP certificates, rolls over to a new one, and adds a domain that waits for DNS verification', async ({ page }) => {
  const domain = `${uniq('certs')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Certs Co'), domains: [domain] } })).body;
  const idp = new TestSamlIdp({
    entityId: `https://idp.${domain}/metadata`,
    ssoUrl: `https://idp.${domain}/sso`,
    keyPair: createIdpKeyPair({ commonName: `old.${domain}`, validDays: 10 }),
  });
  const conn = await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml: idp.metadataXml() } });
  expect(conn.status).toBe(201);
  const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['sso', 'domains'] } });
  await page.goto(link.body.url);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}$`));

  // Overview and connections list warn about the certificate within 30 days of expiry.
  const warnings = page.getByLabel('Certificate warnings');
  await expect(warnings.getByRole('alert')).toContainText(/certificate expires in (9|10) days/);
  await page.goto(`/t/${tenant.slug}/connections`);
  await expect(page.getByRole('list', { name: 'Signing certificates' })).toContainText(/expires in (9|10) days/);

  // Rollover through the API (the console's connection page uses the same calls): the warning goes once the old one is removed.
  const next = createIdpKeyPair({ commonName: `new.${domain}`, validDays: 400 });
  expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}/certificates`, { method: 'POST', body: { certificate: next.certPem } })).status).toBe(201);
  const oldFp = conn.body.idp.certificates[0].fingerprintSha256;
  expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}/certificates/${oldFp}`, { method: 'DELETE' })).status).toBe(204);
  await page.goto(`/t/${tenant.slug}`);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByText('Signing certificates expiring')).toHaveCount(0);

  // Domains: the operator's is used for sign-in; an admin's waits for verification; consumer mail is refused.
  await page.goto(`/t/${tenant.slug}/domains`);
  const operatorCard = page.getByLabel(`Domain ${domain}`);
  await expect(operatorCard).toContainText('added by operator');
  await expect(operatorCard).toContainText('used for sign-in');
  await expect(operatorCard.getByRole('button', { name: `Remove ${domain}` })).toHaveCount(0);

  await page.getByLabel('Email domain').fill('gmail.com');
  await page.getByRole('button', { name: 'Add domain' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'consumer mail domains' })).toBeVisible();

  const mine = `${uniq('admin')}.example.org`;
  await page.getByLabel('Email domain').fill(mine);
  await page.getByRole('button', { name: 'Add domain' }).click();
  const adminCard = page.getByLabel(`Domain ${mine}`);
  await expect(adminCard).toContainText('added by admin');
  await expect(adminCard).toContainText('not used for sign-in until verified');
  expect((await api(`/tenants/${tenant.id}/domains`)).body.data).toContainEqual(expect.objectContaining({ domain: mine, addedBy: 'admin', trusted: false }));

  await adminCard.getByRole('button', { name: `Remove ${mine}` }).click();
  await page.getByRole('button', { name: 'Remove domain' }).click();
  await expect(page.getByLabel(`Domain ${mine}`)).toHaveCount(0);
  const actions = (await api(`/tenants/${tenant.id}/audit-logs`)).body.data.map((e: { action: string }) => e.action);
  expect(actions).toEqual(expect.arrayContaining(['domain.added', 'domain.removed', 'connection.certificate_added', 'connection.certificate_removed']));
});
