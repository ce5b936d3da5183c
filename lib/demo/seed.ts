import 'server-only';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { SYSTEM } from '../audit/types';
import { TENANT_SCOPES } from '../auth/permissions';
import { putConsoleAccess } from '../dal/console-access';
import { createConnection } from '../dal/connections';
import { putRoleMapping } from '../dal/role-mappings';
import { createTenant, findTenant, listTenants } from '../dal/tenants';
import { createApplication } from '../applications/registry';
import { env } from '../env';
import { log } from '../log';
import { DEMO_DOMAIN, demoIdp } from './idp';

/**
 * On empty storage in demo mode: a "Demo Company" tenant whose SAML connection is the built-in
 * demo IdP, with role mappings to try (Engineering → editor, IT → admin, else member); the
 * admin role opens the tenant console.
 */
export async function seedDemo(): Promise<void> {
  if ((await listTenants({ limit: 1 })).data.length || (await findTenant({ slug: 'demo' }))) return;
  const tenant = await createTenant(SYSTEM, { name: 'Demo Company', slug: 'demo', domains: [DEMO_DOMAIN] });
  await createConnection(SYSTEM, tenant.id, { type: 'saml', name: 'Demo IdP', metadataXml: demoIdp().metadataXml() });
  await putRoleMapping(SYSTEM, tenant.id, {
    rules: [
      { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' },
      { attribute: 'groups', operator: 'contains', value: 'IT', role: 'admin' },
    ],
    defaultRole: 'member',
  });
  // In the demo, IT's admins also open the tenant console (a real tenant opens it to nobody until set).
  await putConsoleAccess(SYSTEM, tenant.id, { roles: { admin: [...TENANT_SCOPES] } });
  await registerExampleApp(tenant.id);
  log('info', 'demo tenant created', { slug: 'demo', domain: DEMO_DOMAIN });
}

/**
 * Registers the example product as an application and leaves its client ID and secret in
 * `DATA_DIR/example-app.json` (owner-only), where `npm run example` reads them.
 */
async function registerExampleApp(tenantId: string): Promise<void> {
  const EXAMPLE_APP_URL = env().EXAMPLE_APP_URL;
  const app = await createApplication(SYSTEM, {
    name: 'Example product',
    redirectUris: [`${EXAMPLE_APP_URL}/callback`],
    postLogoutRedirectUris: [`${EXAMPLE_APP_URL}/`],
    backchannelLogoutUri: `${EXAMPLE_APP_URL}/backchannel-logout`,
    initiateLoginUri: `${EXAMPLE_APP_URL}/login`,
    // The demo tenant only: anyone can sign in there through the demo IdP.
    tenantIds: [tenantId],
  });
  const file = path.join(env().DATA_DIR, 'example-app.json');
  writeFileSync(file, JSON.stringify({ portalUrl: env().PUBLIC_URL, appUrl: EXAMPLE_APP_URL, clientId: app.clientId, clientSecret: app.clientSecret }, null, 2), { mode: 0o600 });
  log('info', 'example application registered', { clientId: app.clientId, file });
}
