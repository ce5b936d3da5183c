import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import * as usersRoute from '@/app/api/v1/tenants/[tenantId]/users/route';
import * as auditRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/route';
import { getDb } from '@/lib/db/client';
import { scimUsers, tenants } from '@/lib/db/schema';
import { call, uniqueDomain } from '@/lib/testing/api';
import { makeDirectory, scimCall, scimTenant } from '@/lib/testing/scim';
import { postToAcs } from '@/lib/testing/sso';
import { startSsoFromRequest } from '@/lib/sso/start';
import { nulPath } from './body';

/** U+0000 cannot be stored in PostgreSQL text: every boundary refuses it with a 4xx naming the field, and writes nothing. */
describe('the NUL character at the boundaries', () => {
  it('nulPath names the first field holding one, keys included', () => {
    expect(nulPath({ a: 'x', b: ['y', 'z\u0000'] })).toBe('b.1');
    expect(nulPath('a\u0000')).toBe('(root)');
    expect(nulPath({ 'k\u0000': 1 })).toBe('k\\0');
    expect(nulPath({ a: ['x'], b: { c: 1 } })).toBeNull();
  });

  it('operator API: 400 naming the path parameter, query parameter or body field; nothing stored', async () => {
    const name = `Nul ${uniqueDomain('nul')}`;
    const created = await call(tenantsRoute.POST, { method: 'POST', body: { name: `${name}\u0000x` } });
    expect(created.status).toBe(400);
    expect(created.headers.get('content-type')).toBe('application/problem+json');
    expect(created.body.errors).toEqual([{ path: 'name', message: 'must not contain the NUL character (U+0000)' }]);
    const db = await getDb();
    expect(await db.select().from(tenants).where(eq(tenants.name, name))).toHaveLength(0);

    const t = (await call(tenantsRoute.POST, { method: 'POST', body: { name } })).body;
    expect((await call(tenantRoute.GET, { params: { tenantId: '\u0000' } })).status).toBe(400);
    const users = await call(usersRoute.GET, { path: `/x?email=${encodeURIComponent('a\u0000@b.co')}`, params: { tenantId: t.id } });
    expect(users.status).toBe(400);
    expect(users.body.errors[0].path).toBe('email');
    const audit = await call(auditRoute.GET, { path: '/x?q=%00', params: { tenantId: t.id } });
    expect(audit.status).toBe(400);
    expect(audit.body.errors[0].path).toBe('q');
  });

  it('SCIM: 400 invalidValue for a body or filter holding one; nothing stored', async () => {
    const t = await scimTenant('Nul');
    const dir = await makeDirectory(t.id, 'Okta');
    const res = await scimCall(dir, 'POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `a\u0000@${t.domain}` });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect(res.body.detail).toContain('userName');
    const filter = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent('userName eq "a\u0000"')}`);
    expect(filter.status).toBe(400);
    const db = await getDb();
    expect(await db.select().from(scimUsers).where(eq(scimUsers.directoryId, dir.id))).toHaveLength(0);
  });

  it('sign-in: /sso answers the unknown-organisation 404; the ACS refuses a RelayState holding one', async () => {
    expect((await startSsoFromRequest(new Request('http://localhost/sso?tenant=%00'))).status).toBe(404);
    expect((await startSsoFromRequest(new Request('http://localhost/sso?email=a%40b%00.co'))).status).toBe(404);
    const acs = await postToAcs(Buffer.from('<x/>').toString('base64'), 'portal_sso_\u0000');
    expect(acs.status).toBeGreaterThanOrEqual(400);
    expect(acs.status).toBeLessThan(500);
  });
});
