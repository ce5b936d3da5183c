// The test OpenID provider runs on http://localhost: the portal fetches its discovery document
// only when private/http URLs are allowed. Set before anything reads the (cached) environment.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from '@/e2e/idp/oidc-idp';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections, users } from '@/lib/db/schema';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';
import { handleCallback, handleOidcRedirect } from '@/lib/sso/flow';
import { sp } from '@/lib/sso/sp';
import { startSsoFromRequest } from '@/lib/sso/start';
import { OIDC_MFA_REQUEST } from './mfa';
import { putSignInPolicy } from './store';

const CLIENT_ID = 'portal-policy-oidc';
const CLIENT_SECRET = 'portal-policy-oidc-secret-0123456789';
const idpUsers: OidcTestUser[] = [];
let idp: OidcIdp;

beforeAll(async () => {
  idp = await startOidcIdp({ clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [sp().oidcRedirectUrl] }], users: idpUsers });
});
afterAll(() => idp?.close());

async function setup(policy: Record<string, unknown>) {
  const domain = uniqueDomain('oidcpol');
  const tenant = await createTenant(SYSTEM, { name: `OIDC ${domain}`, domains: [domain] });
  const connection = await createConnection(SYSTEM, tenant.id, { type: 'oidc', discoveryUrl: idp.discoveryUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  await putSignInPolicy(SYSTEM, tenant.id, policy);
  return { tenant, connection, domain };
}

const meta = (ip: string) => ({ ip, userAgent: 'vitest' });

async function signIn(user: Omit<OidcTestUser, 'sub'>, ips: { start?: string; back?: string } = {}) {
  idpUsers.push({ sub: `sub-${user.email}`, ...user });
  const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(user.email)}`, { headers: { 'x-forwarded-for': ips.start ?? '203.0.113.20' } }));
  expect(start.status).toBe(302);
  const authorizeUrl = new URL(start.headers.get('location')!);
  const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const back = await signInWithHttpClient(authorizeUrl, user.email);
  const redirect = await handleOidcRedirect(back, meta(ips.back ?? ips.start ?? '203.0.113.20'), cookie);
  if (redirect.status !== 303) return { authorizeUrl, redirect, callback: null };
  const callback = await handleCallback(new URL(redirect.headers.get('location')!), cookie, meta('203.0.113.20'));
  return { authorizeUrl, redirect, callback };
}

async function failures(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id)).filter((e) => e.action === 'sso.login_failed');
}
async function usersOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(users).where(eq(users.tenantId, tenantId));
}

describe('OIDC sign-in under a sign-in policy', () => {
  it('MFA required: asks with acr_values; amr pwd only is refused (mfa_required), amr pwd+otp is accepted', async () => {
    const { tenant, domain } = await setup({ requireMfa: true });
    const refused = await signIn({ email: `ada@${domain}`, amr: ['pwd'] });
    expect(refused.authorizeUrl.searchParams.get('acr_values')).toBe(OIDC_MFA_REQUEST.join(' '));
    expect(refused.redirect.status).toBe(303);
    expect(refused.callback!.status).toBe(403);
    expect(await refused.callback!.text()).toContain('mfa_required');
    const [f] = await failures(tenant.id);
    expect(f).toMatchObject({ reason: 'mfa_required', outcome: 'failure' });
    expect(f.details).toMatchObject({ authnContext: 'amr pwd' });
    expect(await usersOf(tenant.id)).toHaveLength(0);

    const ok = await signIn({ email: `bob@${domain}`, amr: ['pwd', 'otp'] });
    expect(ok.callback!.status).toBe(303);
    expect(await usersOf(tenant.id)).toHaveLength(1);
  });

  it('an MFA acr is accepted; no amr/acr at all is refused', async () => {
    const { tenant, domain } = await setup({ requireMfa: true });
    expect((await signIn({ email: `ada@${domain}`, acr: 'https://refeds.org/profile/mfa' })).callback!.status).toBe(303);
    expect((await signIn({ email: `eve@${domain}` })).callback!.status).toBe(403);
    expect((await failures(tenant.id)).map((e) => e.reason)).toEqual(['mfa_required']);
  });

  it('without MFA required: no acr_values, password-only is fine; the connection can require it alone', async () => {
    const { tenant, connection, domain } = await setup({});
    const plain = await signIn({ email: `ada@${domain}`, amr: ['pwd'] });
    expect(plain.authorizeUrl.searchParams.has('acr_values')).toBe(false);
    expect(plain.callback!.status).toBe(303);
    const db = await getDb();
    await db.update(connections).set({ requireMfa: true }).where(eq(connections.id, connection.id));
    const strict = await signIn({ email: `bob@${domain}`, amr: ['pwd'] });
    expect(strict.authorizeUrl.searchParams.get('acr_values')).toBe(OIDC_MFA_REQUEST.join(' '));
    expect(strict.callback!.status).toBe(403);
    expect((await failures(tenant.id)).map((e) => e.reason)).toEqual(['mfa_required']);
  });

  it('IP allowlist: checked again when the provider sends the browser back', async () => {
    const { tenant, domain } = await setup({ ipAllowlist: ['203.0.113.0/24'] });
    const r = await signIn({ email: `ada@${domain}`, amr: ['pwd'] }, { start: '203.0.113.20', back: '198.51.100.1' });
    expect(r.redirect.status).toBe(403);
    expect(await r.redirect.text()).toContain('ip_not_allowed');
    expect((await failures(tenant.id)).map((e) => [e.reason, e.ip])).toEqual([['ip_not_allowed', '198.51.100.1']]);
    expect(await usersOf(tenant.id)).toHaveLength(0);
    expect((await signIn({ email: `bob@${domain}` }, { start: '203.0.113.21' })).callback!.status).toBe(303);
  });
});
