import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as connectionsRoute from '@/app/api/v1/tenants/[tenantId]/connections/route';
import * as connectionRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/route';
import * as testRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/test/route';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections, sessions, users } from '@/lib/db/schema';
import { TestSamlIdp, type BuildResponseOptions } from '@/lib/demo/saml-idp';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { createTenant, findTenant } from '@/lib/dal/tenants';
import { call, uniqueDomain } from '@/lib/testing/api';
import { meta, postToAcs, samlSignIn } from '@/lib/testing/sso';
import { startConnectionTest, startConnectionTestByLink } from './test-start';
import { handleAcs, handleCallback } from '../flow';
import { sp } from '../sp';
import { startSsoFromRequest } from '../start';

const ADMIN = { type: 'admin' as const, id: 'usr_admin', label: 'admin@example.com' };

async function setup(status?: 'draft' | 'active') {
  const domain = uniqueDomain('ct');
  const tenant = await createTenant(SYSTEM, { name: `CT ${domain}`, domains: [domain] });
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  const res = await call(connectionsRoute.POST, {
    method: 'POST',
    params: { tenantId: tenant.id },
    body: { type: 'saml', metadataXml: idp.metadataXml(), ...(status ? { status } : {}) },
  });
  expect(res.status).toBe(201);
  return { tenant, idp, domain, connectionId: res.body.id as string };
}

const getConn = (tenantId: string, connectionId: string) => call(connectionRoute.GET, { params: { tenantId, connectionId } });
const patch = (tenantId: string, connectionId: string, body: unknown) =>
  call(connectionRoute.PATCH, { method: 'PATCH', params: { tenantId, connectionId }, body });

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}
async function rowOf(id: string) {
  const db = await getDb();
  return (await db.select().from(connections).where(eq(connections.id, id)))[0];
}

/** Runs a test sign-in of the connection: start (admin) → test IdP → ACS → callback. */
async function runTest(
  t: { tenant: { id: string; slug: string }; idp: TestSamlIdp; connectionId: string },
  email: string,
  overrides: Partial<BuildResponseOptions> = {},
  start?: Response,
) {
  const tenant = (await findTenant({ id: t.tenant.id }))!;
  const res = start ?? (await startConnectionTest(tenant, t.connectionId, ADMIN));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const req = t.idp.parseAuthnRequest(location.searchParams.get('SAMLRequest')!);
  const samlResponse = t.idp.buildResponse({
    acsUrl: sp().acsUrl,
    audience: sp().entityId,
    inResponseTo: req.id,
    nameId: email,
    attributes: { email, firstName: 'Ada', lastName: 'Lovelace', groups: ['Engineering', 'Everyone'] },
    ...overrides,
  });
  const acs = await postToAcs(samlResponse, location.searchParams.get('RelayState')!);
  if (acs.status !== 303) return { final: acs, html: await acs.text() };
  const callback = await handleCallback(new URL(acs.headers.get('location')!), cookie, meta);
  return { final: callback, html: await callback.text() };
}

async function userCount(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(users).where(eq(users.tenantId, tenantId))).length;
}
async function sessionCount(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(sessions).where(eq(sessions.tenantId, tenantId))).length;
}

describe('connection status lifecycle and test sign-in', () => {
  it('a draft refuses normal sign-in, but its test works, creates no user or session, and makes it tested', async () => {
    const t = await setup('draft');
    const email = `ada@${t.domain}`;
    await putRoleMapping(SYSTEM, t.tenant.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }], defaultRole: 'member' });
    expect((await getConn(t.tenant.id, t.connectionId)).body).toMatchObject({ status: 'draft', lastTest: null, testedAt: null, requireMfa: null });

    // Normal sign-in: /sso finds no active connection; an unsolicited response is refused too.
    const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}`));
    expect(start.status).toBe(404);
    expect(await start.text()).toContain('no_connection');
    await patch(t.tenant.id, t.connectionId, { allowIdpInitiated: true });
    const unsolicited = t.idp.buildResponse({ acsUrl: sp().acsUrl, audience: sp().entityId, nameId: email, attributes: { email } });
    const acs = await handleAcs(new URLSearchParams({ SAMLResponse: unsolicited }), meta);
    expect(acs.status).toBe(403);
    expect(await acs.text()).toContain('connection_not_active');

    const { final, html } = await runTest(t, email);
    expect(final.status).toBe(200);
    expect(html).toContain('Connection test passed');
    expect(html).toContain(`/t/${t.tenant.slug}/connections/${t.connectionId}`);
    expect(final.headers.getSetCookie().some((c) => c.startsWith('authjs.session-token='))).toBe(false);
    expect(await userCount(t.tenant.id)).toBe(0);
    expect(await sessionCount(t.tenant.id)).toBe(0);

    const conn = (await getConn(t.tenant.id, t.connectionId)).body;
    expect(conn.status).toBe('tested');
    expect(conn.testedAt).not.toBeNull();
    expect(conn.lastTest).toMatchObject({
      outcome: 'success',
      protocol: 'saml',
      issuer: t.idp.entityId,
      nameId: email,
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      groups: ['Engineering', 'Everyone'],
      roles: ['editor'],
    });
    expect(conn.lastTest.attributes.groups).toEqual(['Engineering', 'Everyone']);
    expect(conn.lastTest.checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Email domain', ok: true }),
        expect.objectContaining({ name: 'Just-in-time provisioning', ok: true, detail: 'would create the user at first sign-in' }),
      ]),
    );
    const tested = (await eventsOf(t.tenant.id)).filter((e) => e.action === 'connection.tested');
    expect(tested).toHaveLength(1);
    expect(tested[0]).toMatchObject({ outcome: 'success', actorType: 'admin', actorId: ADMIN.id });
    expect((await eventsOf(t.tenant.id)).some((e) => e.action === 'sso.login_succeeded' || e.action === 'user.created')).toBe(false);

    // tested → active without force; the end user then signs in.
    const act = await patch(t.tenant.id, t.connectionId, { status: 'active' });
    expect(act.status).toBe(200);
    expect(act.body.status).toBe('active');
    const activated = (await eventsOf(t.tenant.id)).filter((e) => e.action === 'connection.activated');
    expect(activated).toHaveLength(1);
    expect(activated[0].details).toMatchObject({ before: { status: 'tested' }, after: { status: 'active' }, untested: false });
    const signIn = await samlSignIn(t.idp, email, { groups: ['Engineering'] });
    expect(signIn.callback!.status).toBe(303);
    expect(await userCount(t.tenant.id)).toBe(1);
  });

  it('a failed test stores the typed reason with a fix hint and the values the IdP sent; the status stays draft', async () => {
    const t = await setup('draft');
    const email = `bo@${t.domain}`;
    const wrong = await runTest(t, email, { audience: 'https://wrong.example.com/sp' });
    expect(wrong.final.status).toBe(400);
    expect(wrong.html).toContain('Connection test failed');
    expect(wrong.html).toContain('audience_mismatch');
    let conn = (await getConn(t.tenant.id, t.connectionId)).body;
    expect(conn.status).toBe('draft');
    expect(conn.testedAt).toBeNull();
    expect(conn.lastTest).toMatchObject({ outcome: 'failure', reason: 'audience_mismatch', observed: { audience: 'https://wrong.example.com/sp' } });
    expect(conn.lastTest.hint).toContain(sp().entityId);
    expect(conn.lastTest.expected.audience).toBe(sp().entityId);

    const old = new Date(Date.now() - 60 * 60 * 1000);
    const expired = await runTest(t, email, { issueInstant: old, notOnOrAfter: new Date(old.getTime() + 5 * 60 * 1000) });
    expect(expired.final.status).toBe(400);
    conn = (await getConn(t.tenant.id, t.connectionId)).body;
    expect(conn.lastTest).toMatchObject({ outcome: 'failure', reason: 'expired' });
    expect(conn.lastTest.hint).toMatch(/NTP/);

    const sha1 = await runTest(t, email, { signatureAlgorithm: 'sha1' });
    expect(sha1.final.status).toBe(400);
    expect((await getConn(t.tenant.id, t.connectionId)).body.lastTest).toMatchObject({ reason: 'weak_algorithm', hint: expect.stringMatching(/SHA-256/) });

    const events = (await eventsOf(t.tenant.id)).filter((e) => e.action === 'connection.tested');
    expect(events.map((e) => [e.outcome, e.reason])).toEqual([
      ['failure', 'audience_mismatch'],
      ['failure', 'expired'],
      ['failure', 'weak_algorithm'],
    ]);
    expect((await eventsOf(t.tenant.id)).some((e) => e.action === 'sso.login_failed')).toBe(false);
    expect(await userCount(t.tenant.id)).toBe(0);
  });

  it('a test of a tested connection that then fails puts it back to draft; a test never signs anyone in even when active', async () => {
    const t = await setup('draft');
    const email = `cy@${t.domain}`;
    expect((await runTest(t, email)).final.status).toBe(200);
    expect((await rowOf(t.connectionId)).status).toBe('tested');
    expect((await runTest(t, email, { recipient: 'https://elsewhere.example.com/acs' })).final.status).toBe(400);
    expect((await rowOf(t.connectionId)).status).toBe('draft');
    expect((await rowOf(t.connectionId)).lastTest).toMatchObject({ reason: 'recipient_mismatch' });

    const active = await setup();
    const r = await runTest(active, `dee@${active.domain}`);
    expect(r.final.status).toBe(200);
    expect((await rowOf(active.connectionId)).status).toBe('active');
    expect(await userCount(active.tenant.id)).toBe(0);
    expect(await sessionCount(active.tenant.id)).toBe(0);
  });

  it('PATCH: bad input and activating an untested draft without force are refused and write nothing', async () => {
    const t = await setup('draft');
    const before = (await eventsOf(t.tenant.id)).length;
    const cases: [unknown, number, string][] = [
      [{ status: 'tested' }, 400, 'status'],
      [{ status: 'enabled' }, 400, 'status'],
      [{ requireMfa: 'yes' }, 400, 'requireMfa'],
      [{ name: '' }, 400, 'name'],
      [{ allowIdpInitiated: 'true' }, 400, 'allowIdpInitiated'],
      [{ bogus: 1 }, 400, 'bogus'],
      [{ status: 'active', name: 'Renamed' }, 409, 'force'],
    ];
    for (const [body, status, field] of cases) {
      const res = await patch(t.tenant.id, t.connectionId, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body.errors ?? res.body.detail)).toContain(field);
    }
    expect((await eventsOf(t.tenant.id)).length).toBe(before);
    expect(await rowOf(t.connectionId)).toMatchObject({ status: 'draft', name: null, allowIdpInitiated: false, requireMfa: null });
    expect((await patch(t.tenant.id, 'conn_nope', { name: 'x' })).status).toBe(404);

    // A settings change: one connection.updated event with before/after.
    const upd = await patch(t.tenant.id, t.connectionId, { name: 'Okta', requireMfa: true });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ name: 'Okta', requireMfa: true, status: 'draft' });
    let events = (await eventsOf(t.tenant.id)).slice(before);
    expect(events.map((e) => e.action)).toEqual(['connection.updated']);
    expect(events[0].details).toEqual({ before: { name: null, requireMfa: null }, after: { name: 'Okta', requireMfa: true } });
    // The same values again: no change, no event.
    expect((await patch(t.tenant.id, t.connectionId, { name: 'Okta' })).status).toBe(200);
    expect((await eventsOf(t.tenant.id)).length).toBe(before + 1);

    // force activates an untested draft; the event says so.
    const forced = await patch(t.tenant.id, t.connectionId, { status: 'active', force: true });
    expect(forced.status).toBe(200);
    expect(forced.body.status).toBe('active');
    events = (await eventsOf(t.tenant.id)).slice(before + 1);
    expect(events.map((e) => e.action)).toEqual(['connection.activated']);
    expect(events[0].details).toMatchObject({ before: { status: 'draft' }, after: { status: 'active' }, untested: true });
    // Back to draft stops sign-in.
    expect((await patch(t.tenant.id, t.connectionId, { status: 'draft' })).body.status).toBe('draft');
    const start = await startSsoFromRequest(new Request(`http://localhost/sso?email=x@${t.domain}`));
    expect(start.status).toBe(404);
  });

  it('creating with an unknown status is refused and creates nothing', async () => {
    const domain = uniqueDomain('ct');
    const tenant = await createTenant(SYSTEM, { name: `CT ${domain}`, domains: [domain] });
    const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
    const res = await call(connectionsRoute.POST, { method: 'POST', params: { tenantId: tenant.id }, body: { type: 'saml', metadataXml: idp.metadataXml(), status: 'tested' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('status');
    expect((await call(connectionsRoute.GET, { params: { tenantId: tenant.id } })).body.data).toHaveLength(0);
  });

  it('contract: a connection created through the API is active and signs in at once', async () => {
    const t = await setup();
    const view = (await getConn(t.tenant.id, t.connectionId)).body;
    expect(view).toMatchObject({ id: t.connectionId, type: 'saml', tenantId: t.tenant.id, allowIdpInitiated: false, status: 'active' });
    const r = await samlSignIn(t.idp, `eve@${t.domain}`);
    expect(r.acs.status).toBe(303);
    expect(r.callback!.status).toBe(303);
    expect(r.callback!.headers.get('location')).toBe('/app?tab=me');
    expect(await userCount(t.tenant.id)).toBe(1);
  });

  it('the API test link starts a test once, within its lifetime, and only for its own connection', async () => {
    const t = await setup('draft');
    const other = await setup('draft');
    const res = await call(testRoute.POST, { method: 'POST', params: { tenantId: t.tenant.id, connectionId: t.connectionId } });
    expect(res.status).toBe(200);
    const url = new URL(res.body.url);
    expect(url.pathname).toBe(`/t/${t.tenant.slug}/connections/${t.connectionId}/test`);
    expect(new Date(res.body.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const token = url.searchParams.get('token')!;
    // Not for another connection or tenant, and not a guessed token.
    expect((await startConnectionTestByLink(other.tenant.slug, other.connectionId, token)).status).toBe(410);
    expect((await startConnectionTestByLink(t.tenant.slug, t.connectionId, 'x'.repeat(43))).status).toBe(410);
    const start = await startConnectionTestByLink(t.tenant.slug, t.connectionId, token);
    expect(start.status).toBe(302);
    expect((await startConnectionTestByLink(t.tenant.slug, t.connectionId, token)).status).toBe(410);
    const { final } = await runTest(t, `fay@${t.domain}`, {}, start);
    expect(final.status).toBe(200);
    const conn = (await getConn(t.tenant.id, t.connectionId)).body;
    expect(conn.status).toBe('tested');
    const ev = (await eventsOf(t.tenant.id)).find((e) => e.action === 'connection.tested')!;
    expect(ev.actorType).toBe('operator');
    // Unknown connection: 404; without the key: 401.
    expect((await call(testRoute.POST, { method: 'POST', params: { tenantId: t.tenant.id, connectionId: 'conn_nope' } })).status).toBe(404);
    expect((await call(testRoute.POST, { method: 'POST', params: { tenantId: t.tenant.id, connectionId: t.connectionId }, key: null })).status).toBe(401);
  });
});
