import http from 'node:http';
import { X509Certificate } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as metadataRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/metadata/route';
import * as refreshRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/metadata/refresh/route';
import * as approveRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/metadata/approve/route';
import * as rejectRoute from '@/app/api/v1/tenants/[tenantId]/connections/[connectionId]/metadata/reject/route';
import { SYSTEM } from '@/lib/audit/types';
import { createConnection } from '@/lib/dal/connections';
import { createTenant } from '@/lib/dal/tenants';
import { getDb } from '@/lib/db/client';
import { auditEvents, connections } from '@/lib/db/schema';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { call, uniqueDomain } from '@/lib/testing/api';
import { beginSignIn, samlSignIn, samlTenant } from '@/lib/testing/sso';
import { libraryRecord } from './certificates';
import { sso } from '../jackson';
import { buildIdpMetadataXml } from './metadata';
import { approveMetadata, refreshDueMetadata } from './metadata-refresh';

const fp = (pem: string) => new X509Certificate(pem).fingerprint256;
const g = globalThis as Record<string, unknown>;

/** A real HTTP server whose metadata document the test changes between fetches. */
let server: http.Server;
let origin = '';
const documents = new Map<string, string>();

beforeAll(async () => {
  const saved = process.env.ALLOW_PRIVATE_URLS;
  process.env.ALLOW_PRIVATE_URLS = 'true';
  g.__portalEnv = undefined;
  server = http.createServer((req, res) => {
    const doc = documents.get(req.url ?? '');
    if (doc === undefined) return res.writeHead(404).end('not here');
    res.writeHead(200, { 'content-type': 'application/samlmetadata+xml' }).end(doc);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await getDb();
  await sso();
  return () => {
    if (saved === undefined) delete process.env.ALLOW_PRIVATE_URLS;
    else process.env.ALLOW_PRIVATE_URLS = saved;
    g.__portalEnv = undefined;
  };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let n = 0;
/** A tenant whose SAML connection was created from a metadata URL on the local server. */
async function urlTenant() {
  const domain = uniqueDomain('meta');
  const tenant = await createTenant(SYSTEM, { name: `Meta ${domain}`, domains: [domain] });
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
  const path = `/md/${n++}`;
  documents.set(path, idp.metadataXml());
  const connection = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataUrl: `${origin}${path}` });
  const serve = (xml: string) => documents.set(path, xml);
  return { tenant, idp, connection, domain, path, serve };
}

const metadataOf = (entityId: string, ssoUrl: string, certs: { certPem: string }[]) =>
  buildIdpMetadataXml({ entityId, bindings: { ssoRedirectUrl: ssoUrl, ssoPostUrl: ssoUrl }, certificates: certs.map((c) => ({ pem: c.certPem })) });

const p = (tenantId: string, connectionId: string) => ({ params: { tenantId, connectionId }, method: 'POST' as const });
const refresh = (t: string, c: string) => call(refreshRoute.POST, p(t, c));
const approve = (t: string, c: string) => call(approveRoute.POST, p(t, c));
const reject = (t: string, c: string) => call(rejectRoute.POST, p(t, c));
const status = (t: string, c: string) => call(metadataRoute.GET, { params: { tenantId: t, connectionId: c } });

async function rowOf(tenantId: string, id: string) {
  const db = await getDb();
  const [row] = await db.select().from(connections).where(and(eq(connections.tenantId, tenantId), eq(connections.id, id)));
  return row;
}
async function actionsOf(tenantId: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id)).map((e) => e.action);
}
async function eventOf(tenantId: string, action: string) {
  const db = await getDb();
  return (await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, action))))[0];
}

describe('metadata refresh with approval', () => {
  it('keeps a changed document for approval; approving applies it to both checks and the SSO URL', async () => {
    const { tenant, idp, connection, domain, serve } = await urlTenant();
    const email = `ada@${domain}`;
    // Unchanged: nothing pending, nothing audited, checkedAt set.
    const same = await refresh(tenant.id, connection.id);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ connectionId: connection.id, pending: null, checkedAt: expect.any(String) });

    // The IdP publishes a second signing key and moves its SSO endpoint.
    const b = createIdpKeyPair({ commonName: 'b.example.com' });
    const idpB = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: `https://login.${domain}/sso`, keyPair: b });
    serve(metadataOf(idp.entityId, idpB.ssoUrl, [idp, idpB]));
    const changed = await refresh(tenant.id, connection.id);
    expect(changed.status).toBe(200);
    expect(changed.body.pending.diff).toEqual({
      ssoUrl: { before: idp.ssoUrl, after: idpB.ssoUrl },
      certificates: { added: [expect.objectContaining({ fingerprintSha256: fp(b.certPem) })], removed: [] },
    });
    // Never applied by itself: B is still refused and the IdP redirect is unchanged.
    expect((await rowOf(tenant.id, connection.id)).idp.certificates).toHaveLength(1);
    expect((await samlSignIn(idpB, email)).acs.status).toBe(400);
    expect((await beginSignIn(email)).location.origin).toBe(new URL(idp.ssoUrl).origin);
    // Fetching the same change again announces nothing new.
    expect((await refresh(tenant.id, connection.id)).body.pending.diff).toBeTruthy();
    expect((await actionsOf(tenant.id)).filter((a) => a === 'connection.metadata_changed')).toHaveLength(1);
    expect((await status(tenant.id, connection.id)).body.pending.idp.ssoUrl).toBe(idpB.ssoUrl);

    const approved = await approve(tenant.id, connection.id);
    expect(approved.status).toBe(200);
    expect(approved.body.idp).toMatchObject({ ssoUrl: idpB.ssoUrl, entityId: idp.entityId });
    expect(approved.body.idp.certificates.map((c: { fingerprintSha256: string }) => c.fingerprintSha256)).toEqual([fp(idp.certPem), fp(b.certPem)]);
    const row = await rowOf(tenant.id, connection.id);
    expect(row.pendingMetadata).toBeNull();
    const rec = await libraryRecord(row.clientId);
    expect(rec!.idpMetadata.publicKey!.split(',')).toHaveLength(2);
    expect(rec!.idpMetadata.sso?.redirectUrl).toBe(idpB.ssoUrl);
    expect((await beginSignIn(email)).location.origin).toBe(new URL(idpB.ssoUrl).origin);
    expect((await samlSignIn(idpB, email)).callback?.status).toBe(303);
    expect((await samlSignIn(idp, email)).callback?.status).toBe(303);
    const ev = await eventOf(tenant.id, 'connection.metadata_approved');
    expect(ev.details).toMatchObject({ diff: { ssoUrl: { after: idpB.ssoUrl } }, after: { ssoUrl: idpB.ssoUrl } });
    expect(await actionsOf(tenant.id)).toContain('connection.metadata_changed');
  });

  it('an approval by a narrower admin that adds a certificate limits the connection to their sections; one that only moves the SSO URL does not', async () => {
    const { tenant, idp, connection, domain, serve } = await urlTenant();
    const ssoOnly = { actor: { type: 'admin' as const, id: 'plk_sso', label: 'setup link' }, consoleScopes: ['sso'] };
    serve(metadataOf(idp.entityId, `https://login.${domain}/sso`, [idp]));
    await refresh(tenant.id, connection.id);
    await approveMetadata(ssoOnly, tenant.id, connection.id);
    expect((await rowOf(tenant.id, connection.id)).scopeCeiling).toBeNull();
    serve(metadataOf(idp.entityId, `https://login.${domain}/sso`, [idp, createIdpKeyPair({ commonName: 'new.example.com' })]));
    await refresh(tenant.id, connection.id);
    await approveMetadata(ssoOnly, tenant.id, connection.id);
    expect((await rowOf(tenant.id, connection.id)).scopeCeiling).toEqual(['sso']);
  });

  it('rejecting drops the pending change and leaves the connection as it was', async () => {
    const { tenant, idp, connection, serve } = await urlTenant();
    const b = createIdpKeyPair({ commonName: 'b.example.com' });
    serve(metadataOf(idp.entityId, idp.ssoUrl, [{ certPem: b.certPem }]));
    const changed = await refresh(tenant.id, connection.id);
    expect(changed.body.pending.diff.certificates).toMatchObject({
      added: [{ fingerprintSha256: fp(b.certPem) }],
      removed: [{ fingerprintSha256: fp(idp.certPem) }],
    });
    const before = await rowOf(tenant.id, connection.id);
    const rejected = await reject(tenant.id, connection.id);
    expect(rejected.status).toBe(200);
    expect(rejected.body.pending).toBeNull();
    const after = await rowOf(tenant.id, connection.id);
    expect(after.idp).toEqual(before.idp);
    expect(after.pendingMetadata).toBeNull();
    expect((await eventOf(tenant.id, 'connection.metadata_rejected')).details).toMatchObject({ diff: { certificates: { removed: [{ fingerprintSha256: fp(idp.certPem) }] } } });
    expect((await approve(tenant.id, connection.id)).status).toBe(409);
    expect((await reject(tenant.id, connection.id)).status).toBe(409);
  });

  it('clears a pending change once the IdP serves the metadata in use again', async () => {
    const { tenant, idp, connection, serve } = await urlTenant();
    serve(metadataOf(idp.entityId, `${idp.ssoUrl}/v2`, [idp]));
    expect((await refresh(tenant.id, connection.id)).body.pending).not.toBeNull();
    serve(idp.metadataXml());
    expect((await refresh(tenant.id, connection.id)).body.pending).toBeNull();
    expect(await actionsOf(tenant.id)).toEqual(['tenant.created', 'connection.created', 'connection.metadata_changed', 'connection.metadata_pending_cleared']);
  });

  it('approves a new entity ID: a new SSO library record, the old one removed, sign-in through the new issuer', async () => {
    const { tenant, idp, connection, domain, serve } = await urlTenant();
    const moved = new TestSamlIdp({ entityId: `https://new-idp.${domain}/metadata`, ssoUrl: `https://new-idp.${domain}/sso`, keyPair: idp.keyPair });
    serve(moved.metadataXml());
    expect((await refresh(tenant.id, connection.id)).body.pending.diff.entityId).toEqual({ before: idp.entityId, after: moved.entityId });
    const oldClientId = (await rowOf(tenant.id, connection.id)).clientId;
    const approved = await approve(tenant.id, connection.id);
    expect(approved.status).toBe(200);
    const row = await rowOf(tenant.id, connection.id);
    expect(row.clientId).not.toBe(oldClientId);
    expect(await libraryRecord(oldClientId)).toBeNull();
    expect((await libraryRecord(row.clientId))!.idpMetadata.entityID).toBe(moved.entityId);
    expect((await samlSignIn(moved, `ada@${domain}`)).callback?.status).toBe(303);
    expect((await samlSignIn(idp, `ada@${domain}`)).acs.status).toBe(400);
  });

  it('the job re-reads only connections due (6 h), as the system, and never applies', async () => {
    const { tenant, idp, connection, serve } = await urlTenant();
    const db = await getDb();
    expect(await refreshDueMetadata(db, new Date(), { tenantId: tenant.id })).toEqual({ checked: 1, changed: 0, failed: 0 });
    expect(await refreshDueMetadata(db, new Date(), { tenantId: tenant.id })).toEqual({ checked: 0, changed: 0, failed: 0 });
    serve(metadataOf(idp.entityId, `${idp.ssoUrl}/moved`, [idp]));
    const later = new Date(Date.now() + 6 * 60 * 60 * 1000 + 60_000);
    expect(await refreshDueMetadata(db, later, { tenantId: tenant.id })).toEqual({ checked: 1, changed: 1, failed: 0 });
    const ev = await eventOf(tenant.id, 'connection.metadata_changed');
    expect(ev).toMatchObject({ actorType: 'system', targetId: connection.id });
    expect((await rowOf(tenant.id, connection.id)).idp.ssoUrl).toBe(idp.ssoUrl);
    // A URL that fails is tried again next interval, with nothing else written.
    serve('<not metadata');
    const much = new Date(later.getTime() + 6 * 60 * 60 * 1000 + 60_000);
    expect(await refreshDueMetadata(db, much, { tenantId: tenant.id })).toEqual({ checked: 1, changed: 0, failed: 1 });
    expect((await rowOf(tenant.id, connection.id)).metadataCheckedAt).toEqual(much);
    expect((await actionsOf(tenant.id)).filter((a) => a.startsWith('connection.metadata'))).toEqual(['connection.metadata_changed']);
  });

  it('bad input: 400 naming the field, 404 for another tenant, nothing written', async () => {
    const { tenant, connection, path, serve } = await urlTenant();
    const pasted = await samlTenant();
    const r1 = await refresh(pasted.tenant.id, pasted.connection.id);
    expect(r1.status).toBe(400);
    expect(r1.body.errors[0].path).toBe('connectionId');
    const before = await rowOf(tenant.id, connection.id);
    serve('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>');
    const r2 = await refresh(tenant.id, connection.id);
    expect(r2.status).toBe(400);
    expect(r2.body.errors[0].path).toBe('metadataUrl');
    documents.delete(path);
    const r3 = await refresh(tenant.id, connection.id);
    expect(r3.status).toBe(400);
    expect(r3.body.errors[0]).toMatchObject({ path: 'metadataUrl', message: expect.stringMatching(/404/) });
    expect(await rowOf(tenant.id, connection.id)).toEqual(before);
    expect((await refresh(pasted.tenant.id, connection.id)).status).toBe(404);
    expect((await approve(pasted.tenant.id, connection.id)).status).toBe(404);
    expect((await approve(tenant.id, connection.id)).status).toBe(409);
    expect(await actionsOf(tenant.id)).toEqual(['tenant.created', 'connection.created']);
  });
});
