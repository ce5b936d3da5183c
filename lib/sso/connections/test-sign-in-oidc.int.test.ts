// The test OpenID provider runs on http://localhost: allowed only with private/http URLs allowed.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from '@/e2e/idp/oidc-idp';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections, sessions, users } from '@/lib/db/schema';
import { createConnection, updateConnection } from '@/lib/dal/connections';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { createTenant, findTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';
import { startConnectionTest } from './test-start';
import { handleCallback, handleOidcRedirect } from '../flow';
import { sp } from '../sp';
import { startSsoFromRequest } from '../start';

const meta = { ip: '203.0.113.11', userAgent: 'vitest' };
const CLIENT_ID = 'portal-oidc-conn-test';
const CLIENT_SECRET = 'portal-oidc-conn-test-secret-0123456789';
const ADMIN = { type: 'admin' as const, id: 'usr_admin', label: 'admin@example.com' };
const idpUsers: OidcTestUser[] = [];
let idp: OidcIdp;

beforeAll(async () => {
  idp = await startOidcIdp({ clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [sp().oidcRedirectUrl] }], users: idpUsers });
});
afterAll(() => idp?.close());

async function setup() {
  const domain = uniqueDomain('oidct');
  const tenant = await createTenant(SYSTEM, { name: `OIDC test ${domain}`, domains: [domain] });
  const c = await createConnection(SYSTEM, tenant.id, { type: 'oidc', discoveryUrl: idp.discoveryUrl, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, status: 'draft' });
  return { tenant: (await findTenant({ id: tenant.id }))!, connectionId: c.id, domain };
}

async function rowOf(id: string) {
  const db = await getDb();
  return (await db.select().from(connections).where(eq(connections.id, id)))[0];
}

describe('OIDC connection test', () => {
  it('a draft OIDC connection refuses sign-in; its test records the claims and roles and signs nobody in', async () => {
    const t = await setup();
    const email = `ida@${t.domain}`;
    idpUsers.push({ sub: `sub-${t.domain}`, email, given_name: 'Ida', family_name: 'Noddack', groups: ['Chemists'] });
    await putRoleMapping(SYSTEM, t.tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Chemists', role: 'editor' }], defaultRole: null });
    expect((await startSsoFromRequest(new Request(`http://localhost/sso?email=${email}`))).status).toBe(404);

    const start = await startConnectionTest(t.tenant, t.connectionId, ADMIN);
    expect(start.status).toBe(302);
    const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const back = await signInWithHttpClient(start.headers.get('location')!, email);
    const redirect = await handleOidcRedirect(back, meta, cookie);
    expect(redirect.status).toBe(303);
    const result = await handleCallback(new URL(redirect.headers.get('location')!), cookie, meta);
    expect(result.status).toBe(200);
    expect(await result.text()).toContain('Connection test passed');

    const row = await rowOf(t.connectionId);
    expect(row.status).toBe('tested');
    expect(row.lastTest).toMatchObject({ outcome: 'success', protocol: 'oidc', provider: 'oidc', email, firstName: 'Ida', lastName: 'Noddack', groups: ['Chemists'], roles: ['editor'], issuer: idp.issuer });
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, t.tenant.id))).toHaveLength(0);
    expect(await db.select().from(sessions).where(eq(sessions.tenantId, t.tenant.id))).toHaveLength(0);
  });

  it('an email the provider does not mark as verified (no email_verified, as Entra ID) fails the test with the fix; trusting such emails passes it', async () => {
    const t = await setup();
    const email = `entra@${t.domain}`;
    idpUsers.push({ sub: `sub-entra-${t.domain}`, email, email_verified: null });
    const run = async () => {
      const start = await startConnectionTest(t.tenant, t.connectionId, ADMIN);
      const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const back = await signInWithHttpClient(start.headers.get('location')!, email);
      const redirect = await handleOidcRedirect(back, meta, cookie);
      expect(redirect.status).toBe(303);
      return handleCallback(new URL(redirect.headers.get('location')!), cookie, meta);
    };
    const failed = await run();
    expect(failed.status).toBe(400);
    expect(await failed.text()).toContain('email_not_verified');
    let row = await rowOf(t.connectionId);
    expect(row.status).toBe('draft');
    expect(row.lastTest).toMatchObject({ outcome: 'failure', reason: 'email_not_verified', email });
    expect(String(row.lastTest!.hint)).toMatch(/Trust email addresses/);
    expect((row.lastTest!.checks as { name: string; ok: boolean }[]).find((c) => c.name === 'Email verified')).toMatchObject({ ok: false });

    await updateConnection(SYSTEM, t.tenant.id, t.connectionId, { trustUnverifiedEmail: true });
    expect((await run()).status).toBe(200);
    row = await rowOf(t.connectionId);
    expect(row.status).toBe('tested');
    expect((row.lastTest!.checks as { name: string; ok: boolean }[]).find((c) => c.name === 'Email verified')).toMatchObject({ ok: true });
  });

  it('a cancelled test stores idp_error with the OIDC hint; no failed sign-in is logged', async () => {
    const t = await setup();
    const start = await startConnectionTest(t.tenant, t.connectionId, ADMIN);
    const cookie = start.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const back = await signInWithHttpClient(start.headers.get('location')!, null);
    expect(back.searchParams.get('error')).toBe('access_denied');
    const res = await handleOidcRedirect(back, meta, cookie);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('idp_error');
    const row = await rowOf(t.connectionId);
    expect(row.status).toBe('draft');
    expect(row.lastTest).toMatchObject({ outcome: 'failure', reason: 'idp_error', observed: { error: 'access_denied' } });
    expect(String(row.lastTest!.hint)).toContain(sp().oidcRedirectUrl);
    const db = await getDb();
    const actions = (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, t.tenant.id))).map((e) => e.action);
    expect(actions).toContain('connection.tested');
    expect(actions).not.toContain('sso.login_failed');
  });
});
