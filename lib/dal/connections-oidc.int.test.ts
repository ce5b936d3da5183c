// The test OpenID providers run on http://localhost: the portal fetches their discovery documents
// only when private/http URLs are allowed. Set before anything reads the (cached) environment.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIdp, type OidcIdp } from '@/e2e/idp/oidc-idp';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { createTenant } from '@/lib/dal/tenants';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { sso } from '@/lib/sso/jackson';
import { PRODUCT, sp } from '@/lib/sso/sp';
import { uniqueDomain } from '@/lib/testing/api';
import { createConnection, listConnections } from './connections';

/**
 * The SSO library keys an OIDC connection by its tenant and client ID, and a create with a key it
 * already has overwrites that record in place (provider, endpoints, keys). An admin who knows a
 * connection's client ID (it is in every sign-in's address) could point the tenant's trusted
 * connection at their own provider. A second connection with the same client ID is refused first.
 */
const CLIENT_ID = 'portal-takeover-oidc';
const ssoOnly: Ctx = { actor: { type: 'admin', id: 'plk_sso', label: 'setup link' }, consoleScopes: ['sso'] };
let trusted: OidcIdp;
let mallorys: OidcIdp;

beforeAll(async () => {
  const clients = [{ client_id: CLIENT_ID, client_secret: 'secret-0123456789-abcdefghij', redirect_uris: [sp().oidcRedirectUrl] }];
  [trusted, mallorys] = await Promise.all([startOidcIdp({ clients, users: [] }), startOidcIdp({ clients, users: [] })]);
});
afterAll(async () => {
  await Promise.all([trusted?.close(), mallorys?.close()]);
});

type LibraryRecord = { clientID: string; oidcProvider?: { clientId?: string; metadata?: { issuer?: string } } };

describe('OIDC connections', () => {
  it('a second connection with a client ID the tenant has already is a 409 on clientId, and the first stays as it was', async () => {
    const domain = uniqueDomain('oidc-dup');
    const tenant = await createTenant(SYSTEM, { name: `OIDC ${domain}`, domains: [domain] });
    const first = await createConnection(SYSTEM, tenant.id, { type: 'oidc', discoveryUrl: trusted.discoveryUrl, clientId: CLIENT_ID, clientSecret: 'secret-0123456789-abcdefghij' });
    const { jackson } = await sso();
    const records = async () => (await jackson.connectionAPIController.getConnections({ tenant: tenant.id, product: PRODUCT } as never)) as LibraryRecord[];
    const before = await records();
    expect(before.map((r) => r.oidcProvider?.metadata?.issuer)).toEqual([trusted.issuer]);

    const taken = await createConnection(ssoOnly, tenant.id, { type: 'oidc', discoveryUrl: mallorys.discoveryUrl, clientId: CLIENT_ID, clientSecret: 'another-secret-0123456789' }).catch((e) => e);
    expect(await records()).toEqual(before);
    expect(taken).toMatchObject({ status: 409, errors: [{ path: 'clientId' }] });
    expect((await listConnections(tenant.id)).data.map((c) => c.id)).toEqual([first.id]);

    // Nor may a SAML connection take the OIDC one's place: the library files both under the same key.
    const samlOverOidc = new TestSamlIdp({ entityId: CLIENT_ID, ssoUrl: `https://idp.${domain}/sso` });
    await expect(createConnection(ssoOnly, tenant.id, { type: 'saml', metadataXml: samlOverOidc.metadataXml() })).rejects.toMatchObject({ status: 409, errors: [{ path: 'metadataXml' }] });
    expect(await records()).toEqual(before);
    // Nor an OIDC connection a SAML one's, whose entity ID is public in its metadata.
    const saml = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: saml.metadataXml() });
    const both = await records();
    await expect(
      createConnection(ssoOnly, tenant.id, { type: 'oidc', discoveryUrl: mallorys.discoveryUrl, clientId: saml.entityId, clientSecret: 'another-secret-0123456789' }),
    ).rejects.toMatchObject({ status: 409, errors: [{ path: 'clientId' }] });
    expect(await records()).toEqual(both);

    // Another tenant may use the same client ID (its own record).
    const other = await createTenant(SYSTEM, { name: `Other ${domain}`, domains: [`other.${domain}`] });
    await expect(createConnection(SYSTEM, other.id, { type: 'oidc', discoveryUrl: trusted.discoveryUrl, clientId: CLIENT_ID, clientSecret: 'secret-0123456789-abcdefghij' })).resolves.toMatchObject({ type: 'oidc' });
  });
});
