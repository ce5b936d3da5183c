import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as domainsRoute from '@/app/api/v1/tenants/[tenantId]/domains/route';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/domains/[domain]/verify/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import type { Ctx } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, tenantDomains, users } from '@/lib/db/schema';
import { call, uniqueDomain } from '@/lib/testing/api';
import { startTxtDnsServer } from '@/lib/testing/dns-server';
import { handleAcs, handleCallback } from '@/lib/sso/flow';
import { sso } from '@/lib/sso/jackson';
import { sp } from '@/lib/sso/sp';
import { startSsoFromRequest } from '@/lib/sso/start';
import { meta, samlTenant } from '@/lib/testing/sso';
import type { TestSamlIdp } from '@/lib/demo/saml-idp';
import { addDomain, removeDomain, verifyDomain } from './domains';
import { createTenant, updateTenant } from './tenants';
import { SYSTEM } from '@/lib/audit/types';

const admin: Ctx = { actor: { type: 'admin', id: 'plk_test', label: 'setup link' } };
const operatorInConsole: Ctx = { actor: { type: 'operator', id: 'op_test', label: 'ops@example.com' } };

const hrd = (email: string) => startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}`));

/** A full SP-initiated sign-in started by tenant slug (not by email domain). */
async function signInBySlug(slug: string, idp: TestSamlIdp, email: string) {
  const start = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${slug}`));
  expect(start.status).toBe(302);
  const location = new URL(start.headers.get('location')!);
  const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const req = idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
  const samlResponse = idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, inResponseTo: req.id, nameId: email, attributes: { email } });
  const acs = await handleAcs(new URLSearchParams({ SAMLResponse: samlResponse, RelayState: location.searchParams.get('RelayState')! }), meta);
  expect(acs.status).toBe(303);
  return handleCallback(new URL(acs.headers.get('location')!), cookie, meta);
}

async function actionsOf(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id)).map((e) => e.action);
}

describe('domain trust: operator domains at once, admin domains once DNS-verified', () => {
  const records = new Map<string, string[]>();
  let dns: Awaited<ReturnType<typeof startTxtDnsServer>>;
  beforeAll(async () => {
    dns = await startTxtDnsServer(records);
    process.env.DNS_SERVERS = dns.address;
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
    await getDb();
    await sso();
  });
  afterAll(() => dns?.close());

  it('an operator’s domain routes /sso?email= and passes the email-domain check unverified', async () => {
    const { tenant, domain } = await samlTenant();
    expect((await hrd(`ada@${domain}`)).status).toBe(302);
    const list = await call(domainsRoute.GET, { params: { tenantId: tenant.id } });
    expect(list.body.data).toEqual([expect.objectContaining({ domain, verified: false, addedBy: 'operator', trusted: true })]);
    // An operator adding one in the tenant console is the operator side too.
    const more = uniqueDomain('ops');
    expect((await addDomain(operatorInConsole, tenant.id, more)).addedBy).toBe('operator');
    expect((await hrd(`bo@${more}`)).status).toBe(302);
  });

  it('an admin’s domain is ignored by HRD and the sign-in check until verified, then used', async () => {
    const { tenant, idp } = await samlTenant();
    const domain = uniqueDomain('adm');
    const row = await addDomain(admin, tenant.id, domain);
    expect(row).toMatchObject({ addedBy: 'admin', verified: false });
    expect((await hrd(`ada@${domain}`)).status).toBe(404);
    const refused = await signInBySlug(tenant.slug, idp, `ada@${domain}`);
    expect(refused.status).toBe(403);
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, tenant.id))).toEqual([]);

    records.set(`_sso-portal-verification.${domain}`, [row.verificationToken]);
    const verified = await call(verifyRoute.POST, { method: 'POST', params: { tenantId: tenant.id, domain } });
    expect(verified.body).toMatchObject({ domain, verified: true, addedBy: 'admin', trusted: true });
    expect((await hrd(`ada@${domain}`)).status).toBe(302);
    expect((await signInBySlug(tenant.slug, idp, `ada@${domain}`)).status).toBe(303);
    expect(await actionsOf(tenant.id)).toEqual([
      'tenant.created', 'connection.created', 'domain.added', 'sso.login_failed', 'domain.verified', 'user.created', 'sso.login_succeeded',
    ]);
  });

  it('refuses consumer mail domains and malformed names everywhere a domain is added, writing nothing', async () => {
    const { tenant } = await samlTenant();
    for (const d of ['gmail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'icloud.com', 'proton.me', 'GMAIL.COM', 'not a domain', '*.corp.com', 42]) {
      await expect(addDomain(admin, tenant.id, d), String(d)).rejects.toMatchObject({ status: 400, errors: [{ path: 'domain' }] });
    }
    const created = await call(tenantsRoute.POST, { method: 'POST', body: { name: 'Gmail Inc', domains: ['gmail.com'] } });
    expect(created.status).toBe(400);
    expect(created.body.errors[0].path).toBe('domains.0');
    const patched = await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: tenant.id }, body: { domains: ['yahoo.com'] } });
    expect(patched.status).toBe(400);
    const db = await getDb();
    expect((await db.select().from(tenantDomains).where(eq(tenantDomains.tenantId, tenant.id))).map((d) => d.domain)).toHaveLength(1);
    expect(await actionsOf(tenant.id)).toEqual(['tenant.created', 'connection.created']);
  });

  it('a domain another tenant has is a 409; admins remove only their own domains', async () => {
    const a = await samlTenant();
    const b = await samlTenant();
    await expect(addDomain(admin, b.tenant.id, a.domain)).rejects.toMatchObject({ status: 409, errors: [{ path: 'domain' }] });
    await expect(removeDomain(admin, b.tenant.id, a.domain)).rejects.toMatchObject({ status: 404 });
    await expect(removeDomain(admin, a.tenant.id, a.domain)).rejects.toMatchObject({ status: 403 });
    const own = uniqueDomain('own');
    await addDomain(admin, a.tenant.id, own);
    await removeDomain(admin, a.tenant.id, own);
    const db = await getDb();
    expect(await db.select().from(tenantDomains).where(and(eq(tenantDomains.tenantId, a.tenant.id), eq(tenantDomains.domain, own)))).toEqual([]);
    await removeDomain(operatorInConsole, a.tenant.id, a.domain);
    expect((await actionsOf(a.tenant.id)).slice(-3)).toEqual(['domain.added', 'domain.removed', 'domain.removed']);
    expect(await actionsOf(b.tenant.id)).toEqual(['tenant.created', 'connection.created']);
  });

  it('an admin’s unverified claim reserves nothing: the operator gives the domain to another tenant; a verified claim still wins', async () => {
    const a = await samlTenant();
    const claimed = uniqueDomain('squat');
    await addDomain(admin, a.tenant.id, claimed);
    // another admin cannot take it over; the operator can, creating a tenant or in a console
    const b = await samlTenant();
    await expect(addDomain(admin, b.tenant.id, claimed)).rejects.toMatchObject({ status: 409 });
    const created = await call(tenantsRoute.POST, { method: 'POST', body: { name: `Owner ${claimed}`, domains: [claimed] } });
    expect(created.status).toBe(201);
    expect(created.body.domains).toEqual([claimed]);
    const db = await getDb();
    expect(await db.select().from(tenantDomains).where(eq(tenantDomains.tenantId, a.tenant.id))).toEqual([expect.objectContaining({ domain: a.domain })]);
    const [released] = await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, a.tenant.id), eq(auditEvents.action, 'domain.removed')));
    expect(released).toMatchObject({ reason: 'claimed_by_operator', targetId: claimed });
    expect(JSON.stringify(released.details)).not.toContain(created.body.id);
    // the same in a tenant console, for a second unverified claim
    const second = uniqueDomain('squat');
    await addDomain(admin, a.tenant.id, second);
    expect((await addDomain(operatorInConsole, b.tenant.id, second)).tenantId).toBe(b.tenant.id);
    // a verified admin claim is a real claim: 409 for the operator too, and nothing changes
    const proven = uniqueDomain('proven');
    await addDomain(admin, a.tenant.id, proven);
    await db.update(tenantDomains).set({ verified: true, verifiedAt: new Date() }).where(eq(tenantDomains.domain, proven));
    const refused = await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: b.tenant.id }, body: { domains: [b.domain, proven] } });
    expect(refused.status).toBe(409);
    expect(await db.select().from(tenantDomains).where(eq(tenantDomains.domain, proven))).toEqual([expect.objectContaining({ tenantId: a.tenant.id, verified: true })]);
  });

  it('a check whose claim the operator gave to another tenant meanwhile changes nothing of that tenant (404)', async () => {
    const db = await getDb();
    const domain = uniqueDomain('raced');
    const a = await createTenant(SYSTEM, { name: `A ${domain}`, domains: [] });
    const b = await createTenant(SYSTEM, { name: `B ${domain}`, domains: [] });
    const claim = await addDomain(admin, a.id, domain);
    // A's DNS answer arrives after the operator gave the domain to B (which dropped A's claim).
    const slowDns = async () => {
      await updateTenant(SYSTEM, b.id, { domains: [domain] });
      return [[claim.verificationToken]];
    };
    await expect(verifyDomain(admin, a.id, domain, slowDns)).rejects.toMatchObject({ status: 404 });
    expect(await db.select().from(tenantDomains).where(eq(tenantDomains.domain, domain))).toEqual([expect.objectContaining({ tenantId: b.id, verified: false, addedBy: 'operator' })]);
    expect(await actionsOf(a.id)).not.toContain('domain.verified');
  });

  it('a failed DNS lookup leaves a verified domain verified (only a definite answer un-verifies it)', async () => {
    const db = await getDb();
    const domain = uniqueDomain('dnsdown');
    const a = await createTenant(SYSTEM, { name: `A ${domain}`, domains: [] });
    const claim = await addDomain(admin, a.id, domain);
    expect(await verifyDomain(admin, a.id, domain, async () => [[claim.verificationToken]])).toMatchObject({ verified: true });
    const timeout = Object.assign(new Error('queryTxt ETIMEOUT'), { code: 'ETIMEOUT' });
    expect(await verifyDomain(admin, a.id, domain, async () => Promise.reject(timeout))).toMatchObject({ verified: true });
    expect(await db.select().from(tenantDomains).where(eq(tenantDomains.domain, domain))).toEqual([expect.objectContaining({ verified: true })]);
    expect(await actionsOf(a.id)).not.toContain('domain.unverified');
    // The record gone (a definite answer): un-verified.
    expect(await verifyDomain(admin, a.id, domain, async () => [])).toMatchObject({ verified: false });
  });
});
