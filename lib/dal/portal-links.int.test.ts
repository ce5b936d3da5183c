import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as domainsRoute from '@/app/api/v1/tenants/[tenantId]/domains/route';
import * as verifyRoute from '@/app/api/v1/tenants/[tenantId]/domains/[domain]/verify/route';
import * as linkRoute from '@/app/api/v1/tenants/[tenantId]/portal-links/[linkId]/route';
import * as linksRoute from '@/app/api/v1/tenants/[tenantId]/portal-links/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import * as setupLinkRoute from '@/app/(public)/setup-link/[token]/route';
import { openSetupLink } from '@/lib/auth/setup-link';
import { getDb } from '@/lib/db/client';
import { auditEvents, sessions, tenants } from '@/lib/db/schema';
import { liveSession } from '@/lib/dal/sessions';
import { call, uniqueDomain } from '@/lib/testing/api';
import { startTxtDnsServer } from '@/lib/testing/dns-server';

const meta = { ip: '198.51.100.7', userAgent: 'vitest' };
const newTenant = async (domains: string[] = []) =>
  (await call(tenantsRoute.POST, { method: 'POST', body: { name: 'Links Inc', domains } })).body as { id: string; slug: string };
const tokenOf = (url: string) => url.split('/setup-link/')[1];

async function actions(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id)).map((e) => [e.action, e.outcome, e.reason]);
}

describe('setup links', () => {
  it('a Continue posted from another site is refused (403): no session in that browser, the link unused', async () => {
    // Login CSRF: the holder of a link to their own tenant would put the victim's browser in that tenant's console.
    const t = await newTenant();
    const link = (await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { scopes: ['sso'] } })).body as { url: string };
    const token = tokenOf(link.url);
    const post = (origin: string) =>
      setupLinkRoute.POST(new Request(`http://localhost:3000/setup-link/${token}`, { method: 'POST', headers: { origin } }), { params: Promise.resolve({ token }) });
    const forged = await post('https://evil.example');
    expect(forged.status).toBe(403);
    // A page with no-referrer posts Origin: null.
    expect((await post('null')).status).toBe(403);
    expect(forged.headers.getSetCookie()).toEqual([]);
    expect((await actions(t.id)).filter(([a]) => a === 'admin.signed_in')).toEqual([]);
    const own = await post('http://localhost:3000');
    expect(own.status).toBe(303);
    expect(own.headers.getSetCookie()).toHaveLength(1);
  });

  it('creates a scoped, expiring link; the first browser gets a scoped session (admin.signed_in) and may reopen it; another browser is refused', async () => {
    const t = await newTenant();
    const res = await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { scopes: ['sso', 'domains'], expiresInSeconds: 3600 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^plk_/), scopes: ['sso', 'domains'] });
    expect(res.body.url).toMatch(/^http:\/\/localhost:3000\/setup-link\/[A-Za-z0-9_-]{40,}$/);
    expect(Math.abs(Date.parse(res.body.expiresAt) - Date.now() - 3600_000)).toBeLessThan(10_000);

    const open = await openSetupLink(tokenOf(res.body.url), meta);
    expect(open.status).toBe(303);
    expect(open.headers.get('location')).toBe(`/t/${t.slug}`);
    expect(open.headers.getSetCookie()[0]).toMatch(/^authjs\.session-token=.+HttpOnly; SameSite=Lax/);
    const db = await getDb();
    const [s] = await db.select().from(sessions).where(eq(sessions.subjectId, res.body.id));
    expect(s).toMatchObject({ kind: 'portal_link', tenantId: t.id, scopes: ['sso', 'domains'] });

    const again = await openSetupLink(tokenOf(res.body.url), meta);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('already_used');
    // The browser that opened it may open it again: its cookie names the link's session, which goes on.
    const cookie = open.headers.getSetCookie()[0].split(';')[0];
    const sameBrowser = await openSetupLink(tokenOf(res.body.url), meta, cookie);
    expect(sameBrowser.status).toBe(303);
    expect(sameBrowser.headers.get('location')).toBe(`/t/${t.slug}`);
    expect(await db.select().from(sessions).where(eq(sessions.subjectId, res.body.id))).toHaveLength(1);
    // A forged cookie, or a genuine one of another link, is no such browser.
    expect((await openSetupLink(tokenOf(res.body.url), meta, `${cookie.split('=')[0]}=forged`)).status).toBe(410);
    const second = (await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: {} })).body;
    const secondCookie = (await openSetupLink(tokenOf(second.url), meta)).headers.getSetCookie()[0].split(';')[0];
    expect((await openSetupLink(tokenOf(res.body.url), meta, secondCookie)).status).toBe(410);
    await call(linkRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, linkId: second.id } });

    // Revoking ends the session at once, and the first browser cannot reopen the link.
    expect((await call(linkRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, linkId: res.body.id } })).status).toBe(204);
    expect(await liveSession(s.id)).toBeNull();
    expect((await openSetupLink(tokenOf(res.body.url), meta, cookie)).status).toBe(410);
    expect((await call(linkRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, linkId: res.body.id } })).status).toBe(404);
    expect(await actions(t.id)).toEqual([
      ['tenant.created', 'success', null],
      ['portal_link.created', 'success', null],
      ['portal_link.used', 'success', null],
      ['admin.signed_in', 'success', null],
      ['portal_link.used', 'failure', 'already_used'],
      ['portal_link.used', 'success', null],
      ['portal_link.used', 'failure', 'already_used'],
      ['portal_link.created', 'success', null],
      ['portal_link.used', 'success', null],
      ['admin.signed_in', 'success', null],
      ['portal_link.used', 'failure', 'already_used'],
      ['portal_link.revoked', 'success', null],
      ['portal_link.revoked', 'success', null],
      ['portal_link.used', 'failure', 'revoked'],
    ]);
  });

  it('the first browser cannot reopen a link once the tenant’s session policy ended its session', async () => {
    const t = await newTenant();
    const link = (await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: {} })).body;
    const cookie = (await openSetupLink(tokenOf(link.url), meta)).headers.getSetCookie()[0].split(';')[0];
    const db = await getDb();
    await db.update(tenants).set({ signInPolicy: { sessionMaxAgeSeconds: 300 } }).where(eq(tenants.id, t.id));
    await db.update(sessions).set({ createdAt: new Date(Date.now() - 3600_000) }).where(eq(sessions.subjectId, link.id));
    expect((await openSetupLink(tokenOf(link.url), meta, cookie)).status).toBe(410);
  });

  it('needs no body: an empty POST makes a link with the default scopes and lifetime', async () => {
    const t = await newTenant();
    const res = await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^plk_/), scopes: expect.arrayContaining(['sso']) });
  });

  it('refuses expired, revoked and unknown links, and bad input', async () => {
    const t = await newTenant();
    const made = (await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: {} })).body;
    expect(made.scopes).toEqual(['sso', 'directory_sync', 'role_mappings', 'audit_log', 'domains']);
    expect(Math.abs(Date.parse(made.expiresAt) - Date.now() - 24 * 3600_000)).toBeLessThan(10_000);
    await call(linkRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, linkId: made.id } });
    expect((await openSetupLink(tokenOf(made.url), meta)).status).toBe(410);
    expect((await openSetupLink('x'.repeat(43), meta)).status).toBe(404);
    for (const [body, path] of [
      [{ scopes: ['everything'] }, 'scopes.0'],
      [{ scopes: [] }, 'scopes'],
      [{ expiresInSeconds: 5 }, 'expiresInSeconds'],
      [{ expiresInSeconds: 'soon' }, 'expiresInSeconds'],
    ] as const) {
      const r = await call(linksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errors[0].path).toBe(path);
    }
    expect((await call(linksRoute.POST, { method: 'POST', params: { tenantId: 'tnt_nope' }, body: {} })).status).toBe(404);
  });
});

describe('domain verification by DNS TXT', () => {
  const records = new Map<string, string[]>();
  let dns: Awaited<ReturnType<typeof startTxtDnsServer>>;
  beforeAll(async () => {
    dns = await startTxtDnsServer(records);
    process.env.DNS_SERVERS = dns.address;
    (globalThis as Record<string, unknown>).__portalEnv = undefined;
  });
  afterAll(() => dns?.close());

  it('lists the record to publish and verifies once it is in DNS', async () => {
    const domain = uniqueDomain('verify');
    const t = await newTenant([domain]);
    const list = await call(domainsRoute.GET, { params: { tenantId: t.id } });
    expect(list.status).toBe(200);
    const [d] = list.body.data;
    expect(d).toMatchObject({ domain, verified: false, verificationRecord: { type: 'TXT', name: `_sso-portal-verification.${domain}` } });
    expect(d.verificationRecord.value).toMatch(/^sso-portal-verification=[0-9a-f]{32}$/);

    const before = await call(verifyRoute.POST, { method: 'POST', params: { tenantId: t.id, domain } });
    expect(before.body.verified).toBe(false);
    records.set(d.verificationRecord.name, ['unrelated', d.verificationRecord.value]);
    const after = await call(verifyRoute.POST, { method: 'POST', params: { tenantId: t.id, domain } });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ domain, verified: true });
    expect((await actions(t.id)).map((a) => a[0])).toContain('domain.verified');
    expect((await call(verifyRoute.POST, { method: 'POST', params: { tenantId: t.id, domain: 'other.example.com' } })).status).toBe(404);
  });
});
