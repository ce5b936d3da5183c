import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections } from '@/lib/db/schema';
import { BINDING_HTTP_POST, TestSamlIdp } from '@/lib/demo/saml-idp';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';
import { sso } from '../jackson';
import { PRODUCT } from '../sp';
import { startSsoFromRequest } from '../start';

/**
 * Finding: metadata with two HTTP-POST SingleSignOnService locations, the second
 * `javascript://localhost/%0A…`, was accepted (only the first was checked), the SSO library kept
 * the last, and /sso served an auto-submitting form whose action ran script on the portal's origin.
 */
const XSS = 'javascript://localhost/%0Afetch(`/api/v1/tenants`)';

function postOnlyMetadata(idp: TestSamlIdp, locations: string[]): string {
  return idp
    .metadataXml()
    .replace(/<md:SingleSignOnService[^>]*\/>/g, '')
    .replace('</md:IDPSSODescriptor>', `${locations.map((l) => `<md:SingleSignOnService Binding="${BINDING_HTTP_POST}" Location="${l}"/>`).join('')}</md:IDPSSODescriptor>`);
}

async function tenantWithIdp() {
  const domain = uniqueDomain('xss');
  const tenant = await createTenant(SYSTEM, { name: `XSS ${domain}`, domains: [domain] });
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  return { tenant, idp, domain };
}

describe('IdP locations from metadata', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('refuses metadata whose second POST location is javascript:, storing nothing and auditing the refusal', async () => {
    const { tenant, idp } = await tenantWithIdp();
    const xml = postOnlyMetadata(idp, [idp.ssoUrl, XSS]);
    await expect(createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: xml })).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/SingleSignOnService location "javascript:.*must be an https:\/\/ URL/),
    });
    const db = await getDb();
    expect(await db.select().from(connections).where(eq(connections.tenantId, tenant.id))).toHaveLength(0);
    const refused = await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenant.id), eq(auditEvents.action, 'connection.create_refused')));
    expect(refused).toHaveLength(1);
  });

  it('a POST-binding IdP gets the portal’s own page: the checked action, no inline handler, a CSP that posts only there', async () => {
    const { tenant, idp, domain } = await tenantWithIdp();
    const xml = postOnlyMetadata(idp, [idp.ssoUrl, `https://other.${domain}/sso`]);
    await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: xml });
    const res = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${tenant.slug}`));
    expect(res.status).toBe(200);
    const html = await res.text();
    // The first location (the one the portal checked and shows) is the one used, not the library's "last wins".
    expect(html).toContain(`<form method="post" action="${idp.ssoUrl}">`);
    expect(html).not.toMatch(/onload=|javascript:/i);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain(`form-action 'self' https://idp.${domain}`);
    expect(csp).not.toContain(`other.${domain}`);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.getSetCookie().join()).toMatch(/portal_sso_flow=/);
  });

  it('a connection written before locations were checked cannot send a browser to javascript:', async () => {
    const { tenant, idp } = await tenantWithIdp();
    const c = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: postOnlyMetadata(idp, [idp.ssoUrl]) });
    const db = await getDb();
    const [row] = await db.select().from(connections).where(eq(connections.id, c.id));
    // The row's own locations, as an older version might have stored them unchecked.
    await db.update(connections).set({ idp: { ...row.idp, bindings: { ssoPostUrl: XSS } } }).where(eq(connections.id, c.id));
    let res = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${tenant.slug}`));
    let html = await res.text();
    expect(html).not.toContain('javascript:');
    expect(res.status).toBe(502);
    expect(html).toContain('connection_misconfigured');

    // A row without locations reads the SSO library's record: overwritten with the raw hostile
    // document, as the portal used to write it, it is refused the same way.
    const { bindings: _, ...withoutBindings } = row.idp;
    await db.update(connections).set({ idp: withoutBindings }).where(eq(connections.id, c.id));
    const { jackson } = await sso();
    const rec = (await jackson.connectionAPIController.getConnections({ clientID: row.clientId } as never)) as { clientSecret: string }[];
    await jackson.connectionAPIController.updateSAMLConnection({
      clientID: row.clientId,
      clientSecret: rec[0].clientSecret,
      tenant: tenant.id,
      product: PRODUCT,
      rawMetadata: postOnlyMetadata(idp, [idp.ssoUrl, XSS]),
    } as never);
    res = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${tenant.slug}`));
    html = await res.text();
    expect(html).not.toContain('javascript:');
    expect(res.status).toBe(502);
    expect(html).toContain('connection_misconfigured');
  });
});
