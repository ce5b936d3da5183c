import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as provisioningRoute from '@/app/api/v1/tenants/[tenantId]/provisioning/route';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, users } from '@/lib/db/schema';
import { call, uniqueDomain } from '@/lib/testing/api';
import { meta, postToAcs, samlTenant } from '@/lib/testing/sso';
import { handleCallback } from '@/lib/sso/flow';
import { sp } from '@/lib/sso/sp';
import { startSsoFromRequest } from '@/lib/sso/start';
import { createTenant, updateTenant } from './tenants';

/**
 * Finding: a tenant claimed another tenant's domain by listing it in `allowedDomains` under
 * self_registration (skipping verification), and its IdP then signed in `ceo@<that domain>` as
 * admin. A domain another tenant owns (operator-added or verified) is refused (409) wherever a
 * tenant can name it, and is never honoured at sign-in.
 */
const putProvisioning = (tenantId: string, body: unknown) => call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId }, body });

describe("another tenant's domain", () => {
  beforeAll(async () => {
    await getDb();
  });

  it('cannot be put in allowedDomains (409 naming it), and nothing changes', async () => {
    const victimDomain = uniqueDomain('victim');
    await createTenant(SYSTEM, { name: `Victim ${victimDomain}`, domains: [victimDomain] });
    const { tenant: attacker } = await samlTenant();
    const res = await putProvisioning(attacker.id, { strategy: 'self_registration', allowedDomains: ['partner.example.org', victimDomain] });
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ path: 'allowedDomains.1', message: expect.stringContaining(victimDomain) }]);
    expect((await call(provisioningRoute.GET, { params: { tenantId: attacker.id } })).body).toMatchObject({ strategy: 'jit', allowedDomains: [] });
  });

  it('listed before the other tenant claimed it, it is ignored at sign-in: the IdP cannot sign in its people', async () => {
    const victimDomain = uniqueDomain('victim');
    const { tenant: attacker, idp } = await samlTenant();
    expect((await putProvisioning(attacker.id, { strategy: 'self_registration', allowedDomains: [victimDomain] })).status).toBe(200);
    // The real owner arrives afterwards (the operator adds the domain to its tenant).
    const victim = await createTenant(SYSTEM, { name: `Victim ${victimDomain}`, domains: [] });
    await updateTenant(SYSTEM, victim.id, { domains: [victimDomain] });
    // The attacker's IdP answers a sign-in started at the attacker's tenant with the victim's CEO.
    const start = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${attacker.slug}`));
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    const req = idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
    const email = `ceo@${victimDomain}`;
    const response = idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: email, attributes: { email, groups: ['IT'] } });
    const acs = await postToAcs(response, location.searchParams.get('RelayState')!);
    expect(acs.status).toBe(303);
    const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const callback = await handleCallback(new URL(acs.headers.get('location')!), cookie, meta);
    expect(callback.status).toBe(403);
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, attacker.id))).toHaveLength(0);
    const failed = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, attacker.id), eq(auditEvents.action, 'sso.login_failed')));
    expect(failed.map((e) => e.reason)).toEqual(['domain_not_allowed']);
  });
});
