// The test OpenID provider and the attacker's server run on http://localhost: allowed here only.
process.env.ALLOW_PRIVATE_URLS = 'true';
(globalThis as { __portalEnv?: unknown }).__portalEnv = undefined;

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from '@/e2e/idp/oidc-idp';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { connections, users } from '@/lib/db/schema';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { AppError } from '@/lib/errors';
import { uniqueDomain } from '@/lib/testing/api';
import { handleOidcRedirect } from '../flow';
import { sso } from '../jackson';
import { sp } from '../sp';
import { startSsoFromRequest } from '../start';

/**
 * IdP mix-up (RFC 9700 §4.4): every OIDC connection shares the portal's one redirect URI, so an
 * admin of tenant A who points A's connection at their own server tries to make the portal send a
 * code that tenant B's provider issued for B's user to A's token endpoint, then redeems it through
 * a flow of their own at B and is signed in as that user.
 */
const meta = { ip: '203.0.113.10', userAgent: 'vitest' };
const HONEST_CLIENT = { client_id: 'victim-co', client_secret: 'victim-co-secret-0123456789abcdef' };
const idpUsers: OidcTestUser[] = [];
let idp: OidcIdp;
let evil: http.Server;
let evilBase = '';
/** Codes that reached the attacker's token endpoint. */
const stolen: string[] = [];
/** What the attacker's discovery document names as issuer (default: itself, as discovery requires). */
let evilIssuer: () => string = () => evilBase;
/** The authorization URL of the attacker's own flow at tenant B: where their /authorize bounces the victim. */
let bounceTo = '';

beforeAll(async () => {
  idp = await startOidcIdp({ clients: [{ ...HONEST_CLIENT, redirect_uris: [sp().oidcRedirectUrl] }], users: idpUsers });
  evil = http.createServer((req, res) => {
    const u = new URL(req.url!, evilBase);
    if (u.pathname === '/.well-known/openid-configuration') {
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ issuer: evilIssuer(), authorization_endpoint: `${evilBase}/authorize`, token_endpoint: `${evilBase}/token`, jwks_uri: `${evilBase}/jwks`, userinfo_endpoint: `${evilBase}/userinfo` }));
    }
    if (u.pathname === '/authorize') {
      // The victim's state, with the attacker's own B flow (client, nonce, PKCE challenge).
      const to = new URL(bounceTo);
      to.searchParams.set('state', u.searchParams.get('state')!);
      res.writeHead(302, { location: to.href });
      return res.end();
    }
    if (u.pathname === '/token') {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        stolen.push(new URLSearchParams(body).get('code')!);
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"error":"invalid_grant"}');
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
  evilBase = `http://localhost:${(evil.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await idp?.close();
  evil?.close();
});

const cookieOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

/** Tenant B (the victim's, on the honest provider) and tenant A (the attacker's, on their server). */
async function tenants() {
  const domainB = uniqueDomain('victim');
  const b = await createTenant(SYSTEM, { name: `Victim ${domainB}`, domains: [domainB] });
  await createConnection(SYSTEM, b.id, { type: 'oidc', discoveryUrl: idp.discoveryUrl, ...{ clientId: HONEST_CLIENT.client_id, clientSecret: HONEST_CLIENT.client_secret } });
  const victim = `ceo@${domainB}`;
  idpUsers.push({ sub: `sub-${domainB}`, email: victim });
  const domainA = uniqueDomain('evil');
  const a = await createTenant(SYSTEM, { name: `Evil ${domainA}`, domains: [domainA] });
  return { a, b, victim };
}

/** The attacker: an admin of tenant A in its console (a setup link with the `sso` scope). */
const tenantAdmin: Ctx = { actor: { type: 'admin', id: 'plk_attacker', label: 'it@evil.example' }, consoleScopes: ['sso'] };

const evilConnection = (tenantId: string, ctx: Ctx = SYSTEM) =>
  createConnection(ctx, tenantId, { type: 'oidc', discoveryUrl: `${evilBase}/.well-known/openid-configuration`, clientId: 'whatever', clientSecret: 'whatever-secret-0123456789' });

async function attackerFlowAtB(slugB: string) {
  const start = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${slugB}`));
  bounceTo = start.headers.get('location')!;
  return { state: new URL(bounceTo).searchParams.get('state')!, cookie: cookieOf(start) };
}

describe('OIDC IdP mix-up across tenants', () => {
  it('a discovery document naming an issuer other than its own URL is refused (OpenID Connect Discovery §4.3), nothing written', async () => {
    const { a } = await tenants();
    evilIssuer = () => idp.issuer; // the honest provider's issuer, to pass its `iss` checks
    try {
      const err = await evilConnection(a.id).catch((e) => e);
      expect(err).toBeInstanceOf(AppError);
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/issuer/);
      expect(err.message).toContain(idp.issuer);
    } finally {
      evilIssuer = () => evilBase;
    }
    const db = await getDb();
    expect(await db.select().from(connections).where(eq(connections.tenantId, a.id))).toHaveLength(0);
  });

  it('a victim lured through the attacker’s tenant: the honest provider’s answer (its iss) is refused before any token request', async () => {
    const { a, b, victim } = await tenants();
    await evilConnection(a.id);
    stolen.length = 0;
    const flowB = await attackerFlowAtB(b.slug);
    // The victim follows /sso?tenant=<A> → the attacker's /authorize → their own provider, signed in there.
    const vic = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${a.slug}`));
    const bounced = await fetch(vic.headers.get('location')!, { redirect: 'manual' });
    const back = await signInWithHttpClient(bounced.headers.get('location')!, victim);
    expect(back.searchParams.get('iss')).toBe(idp.issuer);
    const r = await handleOidcRedirect(back, meta, cookieOf(vic));
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('issuer_mismatch');
    expect(stolen).toHaveLength(0);
    void flowB; // nothing to redeem through it
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, b.id))).toHaveLength(0);
  });

  it('a connection a tenant’s admin made answers at the tenant’s own redirect URI: the lure through it fails even with a provider that sends no iss (Entra ID)', async () => {
    const { a, b, victim } = await tenants();
    const conn = await evilConnection(a.id, tenantAdmin);
    expect(conn.redirectUri).toBe(`${sp().oidcRedirectUrl}/${a.id}`);
    stolen.length = 0;
    await attackerFlowAtB(b.slug); // B's connection (the operator's) answers at the shared URI
    const vic = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${a.slug}`));
    const toEvil = new URL(vic.headers.get('location')!);
    expect(toEvil.searchParams.get('redirect_uri')).toBe(conn.redirectUri);
    const bounced = await fetch(toEvil, { redirect: 'manual' });
    const back = await signInWithHttpClient(bounced.headers.get('location')!, victim);
    expect(back.origin + back.pathname).toBe(sp().oidcRedirectUrl); // B's provider sends it to B's URI
    back.searchParams.delete('iss');
    const r = await handleOidcRedirect(back, meta, cookieOf(vic));
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('unknown_request');
    expect(stolen).toHaveLength(0);
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, b.id))).toHaveLength(0);
  });

  it('a connection stored before the issuer was bound (its issuer another provider’s) serves no sign-in: refused before any request to its provider', async () => {
    const { a, b, victim } = await tenants();
    const conn = await evilConnection(a.id);
    // As it was stored before discovery bound the issuer: the attacker's document named the honest provider's.
    const { jackson } = await sso();
    const [row] = await (await getDb()).select().from(connections).where(eq(connections.id, conn.id));
    const [rec] = (await jackson.connectionAPIController.getConnections({ clientID: row.clientId } as never)) as { clientID: string; clientSecret: string; tenant: string; product: string; oidcProvider: { metadata: Record<string, unknown> } }[];
    await jackson.connectionAPIController.updateOIDCConnection({ ...rec, oidcMetadata: { ...rec.oidcProvider.metadata, issuer: idp.issuer } } as never);
    stolen.length = 0;
    await attackerFlowAtB(b.slug);
    const vic = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${a.slug}`));
    expect(vic.status).toBe(502);
    expect(await vic.text()).toContain('connection_misconfigured');
    // And a flow started before the upgrade, answered after it: refused at the redirect.
    void victim;
    expect(stolen).toHaveLength(0);
  });

  it('the upgrade moves the OIDC connections tenants’ admins made before it to their tenant’s URI; the operator’s stay', async () => {
    const { a } = await tenants();
    const byAdmin = await evilConnection(a.id, tenantAdmin);
    const byOperator = await createConnection(SYSTEM, a.id, { type: 'oidc', discoveryUrl: idp.discoveryUrl, clientId: 'operator-made', clientSecret: 'operator-made-secret-0123456789' });
    const db = await getDb();
    // As they were before the column: every row on the shared URI.
    await db.update(connections).set({ oidcRedirect: 'shared' }).where(eq(connections.tenantId, a.id));
    const migration = readFileSync(new URL('../../../drizzle/0020_oidc_redirect.sql', import.meta.url), 'utf8').split('--> statement-breakpoint')[1];
    await db.execute(sql.raw(migration));
    const rows = await db.select({ id: connections.id, oidcRedirect: connections.oidcRedirect }).from(connections).where(eq(connections.tenantId, a.id));
    expect(Object.fromEntries(rows.map((r) => [r.id, r.oidcRedirect]))).toEqual({ [byAdmin.id]: 'tenant', [byOperator.id]: 'shared' });
  });

  it('a provider’s answer in a browser that did not start its flow is refused before any token request (even with no iss, as Entra ID sends)', async () => {
    const { a, b, victim } = await tenants();
    await evilConnection(a.id);
    stolen.length = 0;
    const flowB = await attackerFlowAtB(b.slug);
    // A link straight to the victim's own provider: the attacker's B flow with the state of a flow at A.
    const atkA = await startSsoFromRequest(new Request(`http://localhost/sso?tenant=${a.slug}`));
    const link = new URL(bounceTo);
    link.searchParams.set('state', new URL(atkA.headers.get('location')!).searchParams.get('state')!);
    const back = await signInWithHttpClient(link, victim);
    back.searchParams.delete('iss');
    const r = await handleOidcRedirect(back, meta, null);
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('state_mismatch');
    expect(stolen).toHaveLength(0);
    // The code was never redeemed: the attacker still cannot use it through their own flow at B,
    // because it is bound to the state the victim's link carried, which their flow at A owns.
    const db = await getDb();
    expect(await db.select().from(users).where(eq(users.tenantId, b.id))).toHaveLength(0);
  });
});
