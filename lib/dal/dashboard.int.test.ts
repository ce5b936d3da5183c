import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { connections, webhookEndpoints } from '@/lib/db/schema';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { uniqueDomain } from '@/lib/testing/api';
import { beginSignIn, meta, postToAcs, samlSignIn } from '@/lib/testing/sso';
import { sp } from '@/lib/sso/sp';
import { createConnection } from './connections';
import { operatorDashboard } from './dashboard';
import { createTenant } from './tenants';
import { createWebhook } from './webhooks';

beforeAll(async () => {
  await getDb();
}, 60_000);

describe('the operator dashboard', () => {
  it('counts a day of sign-ins per tenant and lists failing connections, expiring certificates and failing webhooks', async () => {
    const domain = uniqueDomain('dash');
    const tenant = await createTenant(SYSTEM, { name: `Dash ${domain}`, domains: [domain] });
    // An IdP whose signing certificate expires in 10 days.
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso`, keyPair: createIdpKeyPair({ commonName: 'soon.example', validDays: 10 }) });
    const connection = await createConnection(SYSTEM, tenant.id, { type: 'saml', name: 'Okta prod', metadataXml: idp.metadataXml() });
    expect((await samlSignIn(idp, `ok@${domain}`)).callback?.status).toBe(303);
    // Three responses for another SP's audience, from three people's addresses: refused, each an
    // sso.login_failed of this connection.
    for (let i = 0; i < 3; i++) {
      const b = await beginSignIn(`bad${i}@${domain}`);
      const req = idp.parseAuthnRequest(b.samlRequest);
      const response = idp.buildResponse({ acsUrl: sp().acsUrl, audience: 'https://another-sp.example', inResponseTo: req.id, nameId: `bad${i}@${domain}` });
      const acs = await postToAcs(response, b.relayState, { ...meta, ip: `192.0.2.${10 + i}` });
      expect(acs.status).toBe(400);
    }
    const hook = await createWebhook(SYSTEM, { tenantId: tenant.id }, { url: `https://hooks.${domain}/in`, kind: 'webhook' });
    const db = await getDb();
    await db.update(webhookEndpoints).set({ failures: 4, lastError: 'HTTP 502' }).where(eq(webhookEndpoints.id, hook.id));

    const d = await operatorDashboard();
    expect(d.tenants.find((t) => t.id === tenant.id)).toMatchObject({ activeConnections: 1, directories: 0, signIns24h: 1, failures24h: 3 });
    const mine = d.attention.filter((a) => a.tenant?.id === tenant.id);
    expect(mine.map((a) => a.kind).sort()).toEqual(['certificate_expiring', 'failing_connection', 'webhook_failing']);
    expect(mine.find((a) => a.kind === 'failing_connection')).toMatchObject({ connectionId: connection.id, label: 'Okta prod', failures: 3, successes: 1 });
    expect(mine.find((a) => a.kind === 'certificate_expiring')).toMatchObject({ expired: false });
    expect(mine.find((a) => a.kind === 'webhook_failing')).toMatchObject({ webhookId: hook.id, failures: 4, lastError: 'HTTP 502' });
    expect(d.totals.signIns24h).toBeGreaterThanOrEqual(1);

    // A connection with a certificate valid beyond the window beside the expiring one (a rollover) is fine.
    const later = createIdpKeyPair({ commonName: 'later.example', validDays: 365 });
    const [row] = await db.select().from(connections).where(eq(connections.id, connection.id));
    await db
      .update(connections)
      .set({ idp: { ...row.idp, certificates: [...row.idp.certificates!, { ...row.idp.certificates![0], fingerprintSha256: 'x', notAfter: new Date(Date.now() + 365 * 864e5).toISOString(), pem: later.certPem } as never] } })
      .where(eq(connections.id, connection.id));
    const again = await operatorDashboard();
    expect(again.attention.filter((a) => a.tenant?.id === tenant.id).map((a) => a.kind).sort()).toEqual(['failing_connection', 'webhook_failing']);
  });
});
