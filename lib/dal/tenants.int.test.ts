import { describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as tenantRoute from '@/app/api/v1/tenants/[tenantId]/route';
import * as provisioningRoute from '@/app/api/v1/tenants/[tenantId]/provisioning/route';
import * as roleMappingRoute from '@/app/api/v1/tenants/[tenantId]/role-mappings/route';
import * as auditLogsRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/route';
import * as auditExportRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/export/route';
import * as auditVerifyRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/verify/route';
import { call, uniqueDomain } from '@/lib/testing/api';
import { getDb } from '@/lib/db/client';
import { auditEvents, tenants } from '@/lib/db/schema';
import { eq, sql } from 'drizzle-orm';
import { createApiKey, revokeApiKey } from './api-keys';
import { makeDirectory, scimTenant } from '@/lib/testing/scim';
import { PAGE_ROWS } from '@/lib/db/pages';
import { setProvisioning } from './tenants';
import { SYSTEM } from '../audit/types';

const create = (body: unknown, key?: string | null) =>
  call(tenantRoutes.POST, { method: 'POST', path: '/api/v1/tenants', body, key });

async function eventsOf(tenantId: string) {
  const db = await getDb();
  return db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id);
}

const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;

describe('tenants API', () => {
  it('creates a tenant with domains and writes tenant.created', async () => {
    const d1 = uniqueDomain('acme');
    const d2 = uniqueDomain('acme-eu');
    const res = await create({ name: 'Acme Corp', domains: [d1, d2] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Acme Corp', domains: [d1, d2].sort() });
    expect(res.body.id).toMatch(/^tnt_/);
    expect(res.body.slug).toMatch(/^acme-corp/);
    expect(Date.parse(res.body.createdAt)).not.toBeNaN();

    const got = await call(tenantRoute.GET, { params: { tenantId: res.body.id } });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(res.body);

    const events = await eventsOf(res.body.id);
    expect(events.map((e) => e.action)).toEqual(['tenant.created']);
    expect(events[0].actorType).toBe('operator');
  });

  it('stores domains lower-case', async () => {
    const d = uniqueDomain('upper');
    const res = await create({ name: 'Upper Inc', domains: [` ${d.toUpperCase()} `] });
    expect(res.status).toBe(201);
    expect(res.body.domains).toEqual([d]);
  });

  it('refuses a missing or wrong key with 401 and writes nothing', async () => {
    const db = await getDb();
    const name = `nokey-${Date.now()}`;
    expect((await create({ name }, null)).status).toBe(401);
    const wrong = await create({ name }, 'wrong-key-wrong-key-wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    expect(await db.select().from(tenants).where(eq(tenants.name, name))).toHaveLength(0);
  });

  it('accepts console-made keys until they are revoked', async () => {
    const { key, apiKey } = await createApiKey(SYSTEM, 'ci');
    expect((await create({ name: 'With key' }, key)).status).toBe(201);
    await revokeApiKey(SYSTEM, apiKey.id);
    expect((await create({ name: 'With key' }, key)).status).toBe(401);
  });

  it.each([
    ['missing name', {}, 'name'],
    ['empty name', { name: '  ' }, 'name'],
    ['bad slug', { name: 'x', slug: 'Not A Slug' }, 'slug'],
    ['scheme in domain', { name: 'x', domains: ['https://acme.com'] }, 'domains.0'],
    ['wildcard domain', { name: 'x', domains: ['*.acme.com'] }, 'domains.0'],
    ['the same domain in two cases', { name: 'x', domains: ['Rep2.example.com', 'rep2.example.com'] }, 'domains'],
    ['consumer domain', { name: 'x', domains: ['ok-domain.com', 'gmail.com'] }, 'domains.1'],
    ['no dot', { name: 'x', domains: ['localhost'] }, 'domains.0'],
    ['domains not a list', { name: 'x', domains: 'acme.com' }, 'domains'],
    ['repeated domain', { name: 'x', domains: ['rep.example.com', 'rep.example.com'] }, 'domains'],
  ])('refuses %s with 400 naming the field', async (_n, body, path) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('refuses malformed JSON with 400 and an oversized body with 413', async () => {
    const bad = await call(tenantRoutes.POST, { method: 'POST', rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/JSON/);
    const big = await create({ name: 'x', pad: 'a'.repeat(1024 * 1024 + 10) });
    expect(big.status).toBe(413);
  });

  it('answers 409 naming the field for a duplicate slug or domain, and writes nothing', async () => {
    const domain = uniqueDomain('dup');
    const first = await create({ name: 'Dup One', slug: `dup-${Date.now()}`, domains: [domain] });
    expect(first.status).toBe(201);
    const sameSlug = await create({ name: 'Dup Two', slug: first.body.slug });
    expect(sameSlug.status).toBe(409);
    expect(sameSlug.body.errors[0].path).toBe('slug');
    const other = uniqueDomain('free');
    const sameDomain = await create({ name: 'Dup Three', domains: [other, domain] });
    expect(sameDomain.status).toBe(409);
    expect(sameDomain.body.errors[0].path).toBe('domains.1');
    // Nothing partial: the free domain was not kept by the failed create.
    const again = await create({ name: 'Dup Four', domains: [other] });
    expect(again.status).toBe(201);
  });

  it('makes a free slug from the name when two tenants share a name', async () => {
    const a = await create({ name: 'Same Name Inc' });
    const b = await create({ name: 'Same Name Inc' });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.body.slug).not.toBe(b.body.slug);
  });

  it('patches name and domains, records before/after, and 404s unknown ids', async () => {
    const d1 = uniqueDomain('p1');
    const d2 = uniqueDomain('p2');
    const t = (await create({ name: 'Patch Me', domains: [d1] })).body;
    const res = await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: t.id }, body: { name: 'Patched', domains: [d2] } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Patched', domains: [d2] });
    const events = await eventsOf(t.id);
    expect(events.at(-1)).toMatchObject({
      action: 'tenant.updated',
      details: { before: { name: 'Patch Me', domains: [d1] }, after: { name: 'Patched', domains: [d2] } },
    });
    // d1 is free again
    expect((await create({ name: 'Takes d1', domains: [d1] })).status).toBe(201);
    expect((await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: 'tnt_nope' }, body: { name: 'x' } })).status).toBe(404);
    expect((await call(tenantRoute.GET, { params: { tenantId: 'tnt_nope' } })).status).toBe(404);
  });

  it('deletes with 204, then 404; its audit log outlives it and stays readable', async () => {
    const t = (await create({ name: 'Delete Me', domains: [uniqueDomain('del')] })).body;
    expect((await call(tenantRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id } })).status).toBe(204);
    expect((await call(tenantRoute.GET, { params: { tenantId: t.id } })).status).toBe(404);
    expect((await call(tenantRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id } })).status).toBe(404);
    expect((await eventsOf(t.id)).map((e) => e.action)).toEqual(['tenant.created', 'tenant.deleted']);
    // Its audit log stays readable through the API: list, export and verify.
    const params = { tenantId: t.id };
    const log = await call(auditLogsRoute.GET, { params });
    expect(log.status).toBe(200);
    expect(log.body.data.map((e: { action: string }) => e.action)).toEqual(['tenant.deleted', 'tenant.created']);
    expect(log.body.data[0]).toMatchObject({ tenantId: t.id, target: { type: 'tenant', id: t.id, label: 'Delete Me' } });
    const exported = await call(auditExportRoute.GET, { path: '/x?format=ndjson', params });
    expect(exported.status).toBe(200);
    expect(String(exported.body).trim().split('\n').map((l) => JSON.parse(l).action)).toEqual(['tenant.created', 'tenant.deleted']);
    const verified = await call(auditVerifyRoute.GET, { params });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ intact: true, firstBrokenId: null });
    // An ID that never had a log is still a 404.
    expect((await call(auditLogsRoute.GET, { params: { tenantId: 'tnt_never_existed' } })).status).toBe(404);
  });

  it(`a large tenant is deleted a page at a time: no statement deletes more than ${PAGE_ROWS.toLocaleString('en')} of its users, SCIM users, groups or sessions`, async () => {
    // At once, 250,000 users took one statement past PostgreSQL's statement timeout (10 s): a 503 at
    // every try, and a tenant nobody could delete. Each statement now stays within a page.
    const N = 2 * PAGE_ROWS + 500;
    const t = await scimTenant('Large');
    const dir = await makeDirectory(t.id);
    const db = await getDb();
    await db.execute(sql`insert into users (id, tenant_id, email, source, groups, roles, attributes)
      select 'usr_big_' || g, ${t.id}, 'm' || g || '@' || ${t.domain}, 'scim', array['Everyone'], array['member'], '{}'::jsonb from generate_series(1, ${N}::int) g`);
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource, portal_user_id)
      select 'scu_big_' || g, ${dir.id}, ${t.id}, 'm' || g || '@' || ${t.domain}, '{}'::jsonb, 'usr_big_' || g from generate_series(1, ${N}::int) g`);
    await db.execute(sql`insert into scim_groups (id, directory_id, tenant_id, display_name) values ('scg_big', ${dir.id}, ${t.id}, 'Everyone')`);
    await db.execute(sql`insert into scim_groups (id, directory_id, tenant_id, display_name) select 'scg_big_' || g, ${dir.id}, ${t.id}, 'Team ' || g from generate_series(1, ${N}::int) g`);
    await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id) select 'scg_big', 'scu_big_' || g, ${dir.id} from generate_series(1, ${N}::int) g`);
    await db.execute(sql`insert into sessions (id, kind, subject_id, tenant_id, expires_at)
      select 'ses_big_' || g, 'user', 'usr_big_' || g, ${t.id}, now() + interval '1 day' from generate_series(1, ${N}::int) g`);
    await db.execute(sql.raw(`create or replace function refuse_large_delete() returns trigger language plpgsql as $$
      begin if (select count(*) from gone) > ${PAGE_ROWS} then
        raise exception 'one statement deleted % rows of %', (select count(*) from gone), TG_TABLE_NAME; end if; return null; end $$`));
    const tables = ['users', 'scim_users', 'scim_groups', 'sessions'];
    for (const table of tables) {
      await db.execute(sql.raw(`create trigger refuse_large_delete after delete on ${table} referencing old table as gone for each statement execute function refuse_large_delete()`));
    }
    try {
      const res = await call(tenantRoute.DELETE, { method: 'DELETE', params: { tenantId: t.id } });
      expect(res.status, JSON.stringify(res.body)).toBe(204);
    } finally {
      for (const table of tables) await db.execute(sql.raw(`drop trigger refuse_large_delete on ${table}`));
    }
    const left = async (table: string) => rowsOf<{ n: number }>(await db.execute(sql.raw(`select count(*)::int as n from ${table} where id like '%\_big\_%'`)))[0].n;
    for (const table of tables) expect(await left(table), table).toBe(0);
    expect(rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from scim_group_members where group_id = 'scg_big'`))[0].n).toBe(0);
    expect((await eventsOf(t.id)).map((e) => e.action)).toContain('tenant.deleted');
  }, 120_000);

  it('lists with cursor pagination and search', async () => {
    const tag = `page${Date.now().toString(36)}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await create({ name: `${tag} ${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: { id: string }[]; nextCursor: string | null } } = await call(
        tenantRoutes.GET,
        { path: `/api/v1/tenants?limit=2&q=${tag}${cursor ? `&cursor=${cursor}` : ''}` },
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((t) => t.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse());
    expect((await call(tenantRoutes.GET, { path: '/api/v1/tenants?limit=500' })).status).toBe(400);
    expect((await call(tenantRoutes.GET, { path: '/api/v1/tenants?limit=abc' })).status).toBe(400);
  });

  it('reads and writes provisioning settings', async () => {
    const t = (await create({ name: 'Prov' })).body;
    const get = await call(provisioningRoute.GET, { params: { tenantId: t.id } });
    expect(get.body).toEqual({ strategy: 'jit', defaultRole: 'member', allowedDomains: [] });
    const put = await call(provisioningRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.id },
      body: { strategy: 'self_registration', defaultRole: 'viewer', allowedDomains: ['partner.example.org'] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ strategy: 'self_registration', defaultRole: 'viewer', allowedDomains: ['partner.example.org'] });
    const bad = await call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { strategy: 'magic' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('strategy');
    const unknownRole = await call(provisioningRoute.PUT, {
      method: 'PUT',
      params: { tenantId: t.id },
      body: { strategy: 'jit', defaultRole: 'wizard' },
    });
    // Through the API any role name is taken (the contract's defaultRole: string); the tenant gains it.
    expect(unknownRole.status).toBe(200);
    expect(unknownRole.body.defaultRole).toBe('wizard');
    const events = (await eventsOf(t.id)).filter((e) => e.action === 'provisioning.updated');
    expect(events).toHaveLength(2);
    expect(events.at(-1)!.details).toMatchObject({ rolesAdded: ['wizard'] });
    // The console (a customer's admin) picks from the tenant's roles: a new one is refused there.
    const consoleErr = await setProvisioning(SYSTEM, t.id, { strategy: 'jit', defaultRole: 'superadmin' }).catch((e) => e);
    expect(consoleErr).toMatchObject({ status: 400, errors: [{ path: 'defaultRole' }] });
    expect((await call(tenantRoute.GET, { params: { tenantId: t.id } })).body.roles).not.toContain('superadmin');
    // One role-name format everywhere: what GET answers can be PUT back, and the roles PATCHed back.
    expect((await call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { strategy: 'jit', defaultRole: 'Billing Admin' } })).status).toBe(400);
    expect((await call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: { strategy: 'jit', defaultRole: 'Billing-Admin' } })).status).toBe(200);
    const current = (await call(provisioningRoute.GET, { params: { tenantId: t.id } })).body;
    expect((await call(provisioningRoute.PUT, { method: 'PUT', params: { tenantId: t.id }, body: current })).status).toBe(200);
    const roles = (await call(tenantRoute.GET, { params: { tenantId: t.id } })).body.roles;
    expect(roles).toContain('Billing-Admin');
    expect((await call(tenantRoute.PATCH, { method: 'PATCH', params: { tenantId: t.id }, body: { roles } })).status).toBe(200);
  });

  it('lets the operator add roles; a role in use by the mappings cannot be removed', async () => {
    const t = (await create({ name: 'Roles' })).body;
    expect(t.roles).toEqual(['admin', 'editor', 'member', 'viewer']);
    const params = { tenantId: t.id };
    const added = await call(tenantRoute.PATCH, { method: 'PATCH', params, body: { roles: ['admin', 'editor', 'member', 'viewer', 'billing'] } });
    expect(added.status).toBe(200);
    expect(added.body.roles).toContain('billing');
    const rule = await call(roleMappingRoute.PUT, {
      method: 'PUT',
      params,
      body: { rules: [{ attribute: 'groups', operator: 'contains', value: 'Finance', role: 'billing' }] },
    });
    expect(rule.status).toBe(200);
    const removed = await call(tenantRoute.PATCH, { method: 'PATCH', params, body: { roles: ['admin', 'member'] } });
    expect(removed.status).toBe(400);
    expect(removed.body.errors[0]).toMatchObject({ path: 'roles', message: expect.stringContaining('billing') });
    for (const bad of [[], ['Bad Role'], ['x', 'x']]) {
      const r = await call(tenantRoute.PATCH, { method: 'PATCH', params, body: { roles: bad } });
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toMatch(/^roles/);
    }
    expect((await call(tenantRoute.GET, { params })).body.roles).toContain('billing');
  });
});
