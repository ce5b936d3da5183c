import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as connectionsRoute from '@/app/api/v1/tenants/[tenantId]/connections/route';
import * as directoriesRoute from '@/app/api/v1/tenants/[tenantId]/directories/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { tenantDomains } from '@/lib/db/schema';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { sso } from '@/lib/sso/jackson';
import { PRODUCT } from '@/lib/sso/sp';
import { call, uniqueDomain } from '@/lib/testing/api';
import { addDomain, removeDomain } from './domains';
import { TENANT_LIMITS } from './tenant-limits';

/**
 * A tenant admin (a setup link) creating without end: every connection, directory or unverified
 * domain costs the portal work or reserves a name. The one past the limit is a 409 naming the
 * field, and nothing of it is written; two at once cannot both take the last place.
 */
const admin: Ctx = { actor: { type: 'admin', id: 'plk_limits', label: 'setup link' }, consoleScopes: ['sso', 'directory_sync', 'domains'] };

async function newTenant() {
  const res = await call(tenantsRoute.POST, { method: 'POST', body: { name: `Limits ${uniqueDomain('l')}` } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const paths = (r: { body: { errors?: { path: string }[] } }) => r.body.errors?.map((e) => e.path);

describe('what one organisation may hold', () => {
  it(`at most ${TENANT_LIMITS.directories.max} SCIM directories`, async () => {
    const tenantId = await newTenant();
    const post = (name: string) => call(directoriesRoute.POST, { method: 'POST', params: { tenantId }, body: { name } });
    const made = await Promise.all(Array.from({ length: TENANT_LIMITS.directories.max }, (_, i) => post(`Directory ${i}`)));
    expect(made.map((r) => r.status)).toEqual(Array(TENANT_LIMITS.directories.max).fill(201));
    const over = await Promise.all([post('One more'), post('And another')]);
    for (const r of over) {
      expect(r.status).toBe(409);
      expect(paths(r)).toEqual(['name']);
      expect(r.body.detail).toMatch(/at most 10 SCIM directories/);
    }
    expect((await call(directoriesRoute.GET, { params: { tenantId }, path: '/x?limit=200' })).body.data).toHaveLength(TENANT_LIMITS.directories.max);
  });

  it(`at most ${TENANT_LIMITS.connections.max} SSO connections; the refused one leaves no SSO library record`, async () => {
    const tenantId = await newTenant();
    const domain = uniqueDomain('idp');
    const post = (i: number) =>
      call(connectionsRoute.POST, {
        method: 'POST',
        params: { tenantId },
        body: { type: 'saml', metadataXml: new TestSamlIdp({ entityId: `https://idp${i}.${domain}/metadata`, ssoUrl: `https://idp${i}.${domain}/sso` }).metadataXml() },
      });
    for (let i = 0; i < TENANT_LIMITS.connections.max; i++) expect((await post(i)).status).toBe(201);
    const { jackson } = await sso();
    const libraryRecords = async () => ((await jackson.connectionAPIController.getConnections({ tenant: tenantId, product: PRODUCT } as never)) as unknown[]).length;
    expect(await libraryRecords()).toBe(TENANT_LIMITS.connections.max);
    const over = await post(99);
    expect(over.status).toBe(409);
    expect(paths(over)).toEqual(['type']);
    expect(over.body.detail).toMatch(/at most 20 SSO connections/);
    expect(await libraryRecords()).toBe(TENANT_LIMITS.connections.max);
    expect((await call(connectionsRoute.GET, { params: { tenantId }, path: '/x?limit=200' })).body.data).toHaveLength(TENANT_LIMITS.connections.max);
  });

  it(`at most ${TENANT_LIMITS.unverifiedDomains.max} unverified domains added by admins; the operator's do not count, and removing one frees a place`, async () => {
    const tenantId = await newTenant();
    const base = uniqueDomain('claim');
    const names = Array.from({ length: TENANT_LIMITS.unverifiedDomains.max + 1 }, (_, i) => `d${i}.${base}`);
    for (const d of names.slice(0, -1)) await addDomain(admin, tenantId, d);
    const last = names.at(-1)!;
    await expect(addDomain(admin, tenantId, last)).rejects.toMatchObject({ status: 409, errors: [{ path: 'domain' }] });
    const db = await getDb();
    expect(await db.select().from(tenantDomains).where(eq(tenantDomains.domain, last))).toEqual([]);
    await addDomain(SYSTEM, tenantId, `operator.${base}`);
    await removeDomain(admin, tenantId, names[0]);
    await expect(addDomain(admin, tenantId, last)).resolves.toMatchObject({ domain: last, verified: false });
  });
});
