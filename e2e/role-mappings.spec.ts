import { expect, test } from '@playwright/test';
import { startSamlIdpServer, TestSamlIdp, type SamlIdpServer } from './idp/saml-idp';
import { api, uniq, toasts, signInAsOperator } from './support/api';
import { freePort } from './support/portal';


const SAML_SECTION = `<saml:AttributeStatement>
  <saml:Attribute Name="http://schemas.xmlsoap.org/claims/Group" FriendlyName="groups">
    <saml:AttributeValue xsi:type="xs:string">Engineering</saml:AttributeValue>
  </saml:Attribute>
  <saml:Attribute Name="department">
    <saml:AttributeValue>R&amp;D, EMEA</saml:AttributeValue>
  </saml:Attribute>
</saml:AttributeStatement>`;

test('role mappings: add and reorder rules, preview pasted attributes, validate, save, and find them stored', async ({ page }) => {
  const created = await api('/tenants', { method: 'POST', body: { name: uniq('Mappings'), domains: [`${uniq('map')}.example.com`] } });
  expect(created.status).toBe(201);
  const { id, slug } = created.body as { id: string; slug: string };

  await signInAsOperator(page);
  await page.goto(`/t/${slug}`);
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Role mappings' }).click();
  await expect(page).toHaveURL(new RegExp(`/t/${slug}/role-mappings$`));
  await expect(page.getByRole('heading', { level: 1, name: 'Role mappings' })).toBeVisible();
  await expect(page.getByText('No rules yet: everyone gets the default role.')).toBeVisible();
  await expect(page.getByText('No users yet: nobody has signed in to this organisation.')).toBeVisible();

  // Rule 1: groups contains Engineering → editor. A new rule takes the focus.
  await page.getByRole('button', { name: 'Add rule' }).click();
  const first = page.getByRole('group', { name: 'Rule 1' });
  await expect(first.getByLabel('Attribute')).toBeFocused();
  await first.getByLabel('Attribute').fill('groups');
  await first.getByLabel('Operator').selectOption('contains');
  await first.getByLabel('Value').fill('Engineering');
  await first.getByLabel('Role').selectOption('editor');

  // Rule 2: department in a list whose item holds a comma → viewer.
  await page.getByRole('button', { name: 'Add rule' }).click();
  const second = page.getByRole('group', { name: 'Rule 2' });
  await second.getByLabel('Attribute').fill('department');
  await second.getByLabel('Operator').selectOption('in');
  await second.getByLabel('Values').fill('Sales, "R&D, EMEA"');
  await second.getByLabel('Role').selectOption('viewer');

  // Reorder with the keyboard: the focus stays on the moved rule.
  await second.getByRole('button', { name: 'Move up' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('group', { name: 'Rule 1' }).getByLabel('Attribute')).toHaveValue('department');
  await expect(page.getByRole('group', { name: 'Rule 1' }).getByRole('button', { name: 'Move down' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('group', { name: 'Rule 1' }).getByLabel('Attribute')).toHaveValue('groups');
  await expect(page.getByRole('group', { name: 'Rule 2' }).getByLabel('Attribute')).toHaveValue('department');

  await page.getByLabel('Default role').selectOption({ label: 'No role' });

  // Live preview: JSON…
  const sample = page.getByLabel('Sample attributes');
  await sample.fill('{"groups": ["Engineering", "Everyone"]}');
  const result = page.getByRole('region', { name: 'Preview result' });
  await expect(result.getByRole('list', { name: 'Preview roles' }).getByRole('listitem')).toHaveText(['editor']);
  await expect(result.getByRole('list', { name: 'Rules that fired' })).toHaveText('Rule 1: groups contains Engineering → editor');
  // …a SAML AttributeStatement (groups read from its FriendlyName; a value with a comma)…
  await sample.fill(SAML_SECTION);
  await expect(result.getByRole('list', { name: 'Preview roles' }).getByRole('listitem')).toHaveText(['editor', 'viewer']);
  await expect(result.getByRole('list', { name: 'Rules that fired' }).getByRole('listitem')).toHaveCount(2);
  // …and attributes no rule matches.
  await sample.fill('{"groups": "Nobody"}');
  await expect(result).toContainText('No rule matched and there is no default role: no roles.');
  await sample.fill('{"groups": ');
  await expect(page.getByText(/^Not valid JSON/)).toBeVisible();

  // Inline validation at the rule: a pattern that is not a regular expression.
  await page.getByRole('button', { name: 'Add rule' }).click();
  const third = page.getByRole('group', { name: 'Rule 3' });
  await third.getByLabel('Attribute').fill('email');
  await third.getByLabel('Operator').selectOption('matches');
  await third.getByLabel('Value').fill('(a+');
  // Checked as it is typed: the rule says what is wrong before any save.
  await expect(third.getByRole('alert')).toContainText(/invalid regular expression/i);
  await expect(third.getByLabel('Value')).toHaveAttribute('aria-invalid', 'true');
  await third.getByLabel('Role').selectOption('admin');
  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(third.getByRole('alert')).toContainText(/invalid regular expression/i);
  await expect(third.getByLabel('Value')).toBeFocused();
  await expect(third.getByLabel('Value')).toHaveAttribute('aria-invalid', 'true');
  await third.getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByRole('group', { name: 'Rule 3' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Save rules' }).click();
  await expect(toasts(page).getByText(/^Saved\./).last()).toHaveText(
    'Saved. Existing users get their new roles at their next sign-in or SCIM update.',
  );

  // Stored: the API returns it, and a reload shows it.
  const stored = await api(`/tenants/${id}/role-mappings`);
  expect(stored.body).toEqual({
    rules: [
      { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' },
      { attribute: 'department', operator: 'in', value: ['Sales', 'R&D, EMEA'], role: 'viewer' },
    ],
    defaultRole: null,
  });
  await page.reload();
  const r1 = page.getByRole('group', { name: 'Rule 1' });
  const r2 = page.getByRole('group', { name: 'Rule 2' });
  await expect(r1.getByLabel('Attribute')).toHaveValue('groups');
  await expect(r1.getByLabel('Operator')).toHaveValue('contains');
  await expect(r1.getByLabel('Value')).toHaveValue('Engineering');
  await expect(r1.getByLabel('Role')).toHaveValue('editor');
  await expect(r2.getByLabel('Operator')).toHaveValue('in');
  await expect(r2.getByLabel('Values')).toHaveValue('Sales, "R&D, EMEA"');
  await expect(page.getByLabel('Default role')).toHaveValue('');
  await expect(page.getByText('No unsaved changes')).toBeVisible();

  // "Save and apply now" asks first; with no users nobody's roles change.
  await page.getByLabel('Default role').selectOption('member');
  await expect(page.getByText('Unsaved changes', { exact: true })).toBeVisible();
  await page.getByRole('button', { name: 'Save and apply now…' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Save and apply the roles now?');
  await dialog.getByRole('button', { name: 'Save and apply' }).click();
  await expect(dialog).toBeHidden();
  await expect(toasts(page).getByText(/^Saved\./).last()).toHaveText('Saved. Roles of 0 users were updated now.');
  expect((await api(`/tenants/${id}/role-mappings`)).body.defaultRole).toBe('member');

  // The overview links here too.
  await page.goto(`/t/${slug}`);
  await page.getByRole('link', { name: 'Edit role mappings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Role mappings' })).toBeVisible();
});

test.describe('with a signed-in user', () => {
  let idpServer: SamlIdpServer;
  const domain = `${uniq('rm-saml')}.example.com`;
  const email = `grace@${domain}`;

  test.beforeAll(async () => {
    const port = await freePort();
    const idp = new TestSamlIdp({ entityId: `http://127.0.0.1:${port}/metadata`, ssoUrl: `http://127.0.0.1:${port}/sso` });
    idpServer = await startSamlIdpServer({
      port,
      idp,
      users: [{ email }],
      responseOptions: (u) => ({ attributes: { email: u.email, firstName: 'Grace', lastName: 'Hopper', groups: ['Engineering'], department: 'Research' } }),
    });
  });
  test.afterAll(async () => idpServer?.close());

  test('preview from a recent sign-in, see the impact on the user, apply now, and the user has the new role at once', async ({ page, browser }) => {
    const tenant = (await api('/tenants', { method: 'POST', body: { name: uniq('Impact'), domains: [domain] } })).body;
    const rules = [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }];
    expect((await api(`/tenants/${tenant.id}/role-mappings`, { method: 'PUT', body: { rules, defaultRole: 'viewer' } })).status).toBe(200);
    const metadataXml = await (await fetch(idpServer.metadataUrl)).text();
    expect((await api(`/tenants/${tenant.id}/connections`, { method: 'POST', body: { type: 'saml', metadataXml } })).status).toBe(201);

    // The end user signs in once: editor, and their attributes are kept.
    const userContext = await browser.newContext();
    const u = await userContext.newPage();
    await u.goto('/signin');
    await u.getByLabel('Work email').fill(email);
    await u.getByRole('button', { name: 'Continue' }).click();
    await u.getByRole('button', { name: `Sign in as ${email}` }).click();
    await expect(u).toHaveURL(/\/app$/);
    await expect(u.getByRole('list', { name: 'Roles' })).toHaveText('editor');

    await signInAsOperator(page);
    await page.goto(`/t/${tenant.slug}/role-mappings`);
    await expect(page.getByText('No change: all 1 user with a known sign-in keep their roles.')).toBeVisible();

    // Preview with what the rules saw at that sign-in.
    const [signedIn] = (await api(`/tenants/${tenant.id}/users?email=${encodeURIComponent(email)}`)).body.data;
    await expect(page.getByLabel('Recent sign-in').getByRole('option', { name: email })).toHaveCount(1);
    await page.getByLabel('Recent sign-in').selectOption(signedIn.id);
    await expect(page.getByLabel('Sample attributes')).toHaveValue(/"Engineering"/);
    const result = page.getByRole('region', { name: 'Preview result' });
    await expect(result).toContainText(`Attributes of ${email}’s last sign-in.`);
    await expect(result.getByRole('list', { name: 'Preview roles' }).getByRole('listitem')).toHaveText(['editor']);

    // The draft gives admin instead: the impact names the user, before and after.
    await page.getByRole('group', { name: 'Rule 1' }).getByLabel('Role').selectOption('admin');
    await expect(result.getByRole('list', { name: 'Preview roles' }).getByRole('listitem')).toHaveText(['admin']);
    const table = page.getByRole('table', { name: 'Users whose roles would change' });
    const row = table.getByRole('row').filter({ hasText: email });
    await expect(row.getByRole('list', { name: `Roles of ${email} now` })).toHaveText('editor');
    await expect(row.getByRole('list', { name: `Roles of ${email} under these rules` })).toHaveText('admin');
    await expect(page.getByText('1 user of 1 with a known sign-in would change roles.')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Role changes' })).toContainText('admin+1 gain');
    await expect(page.getByRole('list', { name: 'Role changes' })).toContainText('editor−1 lose');

    // Apply now, after confirming.
    await page.getByRole('button', { name: 'Save and apply now…' }).click();
    const dialog = page.getByRole('alertdialog');
    await expect(dialog).toContainText('the roles of 1 user change immediately (1 gain admin; 1 lose editor)');
    await dialog.getByRole('button', { name: 'Save and apply' }).click();
    await expect(dialog).toBeHidden();
    await expect(toasts(page).getByText(/^Saved\./).last()).toHaveText('Saved. Roles of 1 user were updated now.');
    await expect(page.getByText('No change: all 1 user with a known sign-in keep their roles.')).toBeVisible();

    // Roles are read at every request: the user has admin now, without signing in again.
    await u.reload();
    await expect(u.getByRole('list', { name: 'Roles' })).toHaveText('admin');
    const listed = (await api(`/tenants/${tenant.id}/users?email=${encodeURIComponent(email)}`)).body.data;
    expect(listed[0].roles).toEqual(['admin']);
    await userContext.close();
  });
});
