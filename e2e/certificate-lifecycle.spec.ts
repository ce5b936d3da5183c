import http from 'node:http';
import { expect, test } from '@playwright/test';
import { createIdpKeyPair, TestSamlIdp } from './idp/saml-idp';
import { api, uniq, openSetupLink, toasts } from './support/api';

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
  await openSetupLink(page, link.body.url);
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

test('on the connection page an IT admin rolls the signing certificate over and approves changed metadata', async ({ page, browser }) => {
  const domain = `${uniq('meta')}.example.com`;
  const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Meta Co'), domains: [domain] } })).body;
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  // A real metadata endpoint the portal re-reads; the test changes what it serves.
  let served = idp.metadataXml();
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/xml' }).end(served));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const metadataUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/metadata`;
    const conn = await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataUrl } });
    expect(conn.status).toBe(201);
    const link = await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: { scopes: ['sso'] } });
    await openSetupLink(page, link.body.url);
    await page.goto(`/t/${tenant.slug}/connections/${conn.body.id}`);

    const certs = page.getByRole('table', { name: 'Signing certificates' });
    await expect(certs.getByRole('row')).toHaveCount(2); // header + one
    await expect(certs).toContainText('only certificate');
    const pem = page.getByLabel('Add a signing certificate (PEM)');
    await pem.fill('not a certificate');
    await page.getByRole('button', { name: 'Add certificate' }).click();
    await expect(page.getByRole('alert').filter({ hasText: /not a PEM|not an X\.509/i })).toBeVisible();
    const next = createIdpKeyPair({ commonName: `next.${domain}`, validDays: 400 });
    await pem.fill(next.certPem);
    await page.getByRole('button', { name: 'Add certificate' }).click();
    await expect(toasts(page).getByText('Certificate added.')).toBeVisible();
    await expect(certs.getByRole('row')).toHaveCount(3);
    // A new signing certificate from an admin holding only SSO: the connection is now trusted no further than that, and says so.
    const limit = page.getByRole('note', { name: 'Limited trust' });
    await expect(limit).toContainText('An admin holding only SSO connections, users, provisioning and sign-in policy set up or last changed how far this connection is trusted.');
    await expect(limit).toContainText('The operator, or an admin holding every section, can lift this limit.');
    await expect(limit.getByRole('button', { name: 'Lift the limit' })).toHaveCount(0);
    await certs.getByRole('row').filter({ hasText: `CN=idp.${domain}` }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Remove certificate' }).click();
    await expect(certs.getByRole('row')).toHaveCount(2);
    await expect(certs).toContainText(`CN=next.${domain}`);

    // The IdP moves its SSO endpoint: the change waits for approval, then applies.
    const moved = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: `https://login.${domain}/sso`, keyPair: next });
    served = moved.metadataXml();
    await page.getByRole('button', { name: 'Check metadata now' }).click();
    const diff = page.getByLabel('Metadata changes');
    await expect(diff).toContainText(moved.ssoUrl);
    expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}`)).body.idp.ssoUrl).toBe(idp.ssoUrl);
    await page.getByRole('button', { name: 'Approve changes' }).click();
    await page.getByRole('button', { name: 'Approve and apply' }).click();
    await expect(page.getByText('No change is waiting for approval.')).toBeVisible();
    await expect(page.getByLabel('Identity provider', { exact: true })).toContainText(moved.ssoUrl);
    expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}`)).body.idp.ssoUrl).toBe(moved.ssoUrl);
    const actions = (await api(`/tenants/${tenant.id}/audit-logs`)).body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['connection.metadata_changed', 'connection.metadata_approved', 'connection.certificate_removed']));

    // An admin holding every section lifts the limit, after a confirmation.
    const full = await browser.newContext();
    const fullPage = await full.newPage();
    await openSetupLink(fullPage, (await api(`/tenants/${tenant.id}/portal-links`, { method: 'POST', body: {} })).body.url);
    await fullPage.goto(`/t/${tenant.slug}/connections/${conn.body.id}`);
    await fullPage.getByRole('note', { name: 'Limited trust' }).getByRole('button', { name: 'Lift the limit' }).click();
    await fullPage.getByRole('alertdialog').getByRole('button', { name: 'Lift the limit' }).click();
    await expect(toasts(fullPage).getByText('Limit lifted.')).toBeVisible();
    await expect(fullPage.getByRole('note', { name: 'Limited trust' })).toHaveCount(0);
    await full.close();
    const lifted = (await api(`/tenants/${tenant.id}/audit-logs?action=connection.limit_lifted`)).body.data;
    expect(lifted).toHaveLength(1);

    // Its settings: saved, with a confirmation.
    await page.getByLabel('Name', { exact: true }).fill('Okta production');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect(toasts(page).getByText('Connection settings saved.')).toBeVisible();
    expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}`)).body.name).toBe('Okta production');

    // Deleted from its own page: a confirmation, then the list.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete connection' }).click();
    await expect(toasts(page).getByText('Connection deleted.')).toBeVisible();
    await expect(page).toHaveURL(new RegExp(`/t/${tenant.slug}/connections$`));
    expect((await api(`/tenants/${tenant.id}/connections/${conn.body.id}`)).status).toBe(404);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
