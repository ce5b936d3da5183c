import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as tokenRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/token/route';
import * as roleMappingsRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import { getDb } from '@/lib/db/client';
import { auditEvents, scimRequests, scimUsers, users } from '@/lib/db/schema';
import { call } from '@/lib/testing/api';
import { entraUser, makeDirectory, oktaUser, scimCall, scimTenant } from '@/lib/testing/scim';

// The common POST /Users goes as one statement whose authentication is checked inside it
// (lib/scim/server.ts, lib/scim/auth.ts authGuard). These are the cases where what the process
// remembered of an earlier request must not be trusted.

const tenant = () => scimTenant('SCIM1');

async function rows(tenantId: string) {
  const db = await getDb();
  const n = async (q: Promise<{ n: number }[]>) => Number((await q)[0].n);
  return {
    scimUsers: await n(db.select({ n: count() }).from(scimUsers).where(eq(scimUsers.tenantId, tenantId))),
    users: await n(db.select({ n: count() }).from(users).where(eq(users.tenantId, tenantId))),
    created: await n(db.select({ n: count() }).from(auditEvents).where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, 'user.created')))),
    logged201: await n(db.select({ n: count() }).from(scimRequests).where(and(eq(scimRequests.tenantId, tenantId), eq(scimRequests.status, 201)))),
  };
}

describe('SCIM create in one statement', () => {
  it('a rotated or revoked token stops creates at once, even one the process accepted a moment ago, and writes nothing', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    expect((await scimCall(dir, 'POST', '/Users', oktaUser(`a@${t.domain}`))).status).toBe(201);
    expect(await rows(t.id)).toEqual({ scimUsers: 1, users: 1, created: 1, logged201: 1 });

    const rot = await call(tokenRoute.POST, { method: 'POST', params: { tenantId: t.id, directoryId: dir.id } });
    expect(rot.status).toBe(201);
    // the old token: refused for a good body and for a bad one (no 400 to a token that is gone)
    expect((await scimCall(dir, 'POST', '/Users', oktaUser(`b@${t.domain}`))).status).toBe(401);
    expect((await scimCall(dir, 'POST', '/Users', { userName: 42 })).status).toBe(401);
    expect((await scimCall(dir, 'POST', '/Users', undefined, { rawBody: '{"userName": ' })).status).toBe(401);
    expect(await rows(t.id)).toEqual({ scimUsers: 1, users: 1, created: 1, logged201: 1 });

    const current = { id: dir.id, bearerToken: rot.body.bearerToken as string };
    expect((await scimCall(current, 'POST', '/Users', oktaUser(`c@${t.domain}`))).status).toBe(201);
    const rev = await call(tokenRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id, directoryId: dir.id } });
    expect(rev.status).toBe(200);
    expect((await scimCall(current, 'POST', '/Users', oktaUser(`d@${t.domain}`))).status).toBe(401);
    expect(await rows(t.id)).toEqual({ scimUsers: 2, users: 2, created: 2, logged201: 2 });
  });

  it('changed role mappings apply at once to existing users and to the very next create', async () => {
    const t = await tenant();
    const dir = await makeDirectory(t.id);
    const first = await scimCall(dir, 'POST', '/Users', entraUser(`first@contoso.onmicrosoft.com`, `first@${t.domain}`));
    expect(first.status).toBe(201);
    const put = await call(roleMappingsRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.id },
      body: { rules: [{ attribute: 'department', operator: 'equals', value: 'Engineering', role: 'editor' }], defaultRole: 'viewer' },
    });
    expect(put.status).toBe(200);
    const second = await scimCall(dir, 'POST', '/Users', entraUser(`second@contoso.onmicrosoft.com`, `second@${t.domain}`));
    expect(second.status).toBe(201);
    const db = await getDb();
    const byEmail = Object.fromEntries((await db.select().from(users).where(eq(users.tenantId, t.id))).map((u) => [u.email, u.roles]));
    expect(byEmail[`first@${t.domain}`]).toEqual(['editor']);
    expect(byEmail[`second@${t.domain}`]).toEqual(['editor']);
  });

  it('an email that already has a portal user: the SCIM user is linked to it, one portal user, one statement undone', async () => {
    const t = await tenant();
    const okta = await makeDirectory(t.id, 'Okta', 'okta');
    const entra = await makeDirectory(t.id, 'Entra', 'entra');
    expect((await scimCall(okta, 'POST', '/Users', oktaUser(`same@${t.domain}`))).status).toBe(201);
    const again = await scimCall(entra, 'POST', '/Users', entraUser(`same@contoso.onmicrosoft.com`, `same@${t.domain}`));
    expect(again.status).toBe(201);
    const db = await getDb();
    const portal = await db.select().from(users).where(eq(users.tenantId, t.id));
    expect(portal).toHaveLength(1);
    const linked = await db.select().from(scimUsers).where(eq(scimUsers.tenantId, t.id));
    expect(linked.map((s) => s.portalUserId)).toEqual([portal[0].id, portal[0].id]);
    expect(await rows(t.id)).toMatchObject({ scimUsers: 2, users: 1, created: 1, logged201: 2 });
    // a taken userName in the same directory: 409 uniqueness, nothing more stored
    const dup = await scimCall(okta, 'POST', '/Users', oktaUser(`SAME@${t.domain}`, { emails: [{ value: `other@${t.domain}`, primary: true }] }));
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
    expect(await rows(t.id)).toMatchObject({ scimUsers: 2, users: 1, created: 1, logged201: 2 });
  });
});
