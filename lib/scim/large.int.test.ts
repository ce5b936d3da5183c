import { and, desc, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as directoryRoute from '@/app/api/v1/tenants/[tenantId]/directories/[directoryId]/route';
import { getDb } from '@/lib/db/client';
import { PAGE_ROWS } from '@/lib/db/pages';
import { auditEvents, scimGroups, users } from '@/lib/db/schema';
import { call } from '@/lib/testing/api';
import { makeDirectory, oktaUser, patch, scimCall, scimTenant } from '@/lib/testing/scim';

/** More members than one statement can carry as parameters (65,535). */
const N = 70_000;

describe('outsider-sized directories', () => {
  it(`a group of ${N.toLocaleString('en')} members is emptied, and the directory that pushed them deleted`, async () => {
    const t = await scimTenant('Large');
    const dir = await makeDirectory(t.id);
    const db = await getDb();
    // The directory's users and its one big group, made in bulk (pushing them request by request would take minutes).
    await db.execute(sql`insert into users (id, tenant_id, email, source, groups, roles, attributes)
      select 'usr_l_' || ${dir.id} || '_' || g, ${t.id}, 'm' || g || '@' || ${t.domain}, 'scim', array['Everyone'], array['member'], '{"groups":["Everyone"]}'::jsonb
      from generate_series(1, ${N}::int) g`);
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource, portal_user_id)
      select 'scu_l_' || ${dir.id} || '_' || g, ${dir.id}, ${t.id}, 'm' || g || '@' || ${t.domain},
        jsonb_build_object('userName', 'm' || g || '@' || ${t.domain}, 'active', true), 'usr_l_' || ${dir.id} || '_' || g
      from generate_series(1, ${N}::int) g`);
    const gid = `scg_l_${dir.id}`;
    await db.insert(scimGroups).values({ id: gid, directoryId: dir.id, tenantId: t.id, displayName: 'Everyone' });
    await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id)
      select ${gid}, 'scu_l_' || ${dir.id} || '_' || g, ${dir.id} from generate_series(1, ${N}::int) g`);

    const emptied = await scimCall(dir, 'PATCH', `/Groups/${gid}?excludedAttributes=members`, patch({ op: 'replace', path: 'members', value: [] }));
    expect(emptied.status, JSON.stringify(emptied.body).slice(0, 300)).toBeLessThan(300);
    const [last] = await db.select({ groups: users.groups }).from(users).where(eq(users.id, `usr_l_${dir.id}_${N}`));
    expect(last.groups).toEqual([]);

    const deleted = await call(directoryRoute.DELETE, { method: 'DELETE', path: `/api/v1/tenants/${t.id}/directories/${dir.id}`, params: { tenantId: t.id, directoryId: dir.id } });
    expect(deleted.status).toBe(204);
    const [n] = await db.select({ active: sql<number>`count(*) filter (where status = 'active')::int`, all: sql<number>`count(*)::int` }).from(users).where(eq(users.tenantId, t.id));
    expect(n).toEqual({ active: 0, all: N });
    const [suspensions] = await db
      .select({ n: sql<number>`count(*)::int` })
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, t.id), eq(auditEvents.action, 'user.suspended'), eq(auditEvents.reason, 'directory deleted')));
    expect(suspensions.n).toBe(N);
  }, 600_000);

  it(`a group of many members renamed and deleted a page at a time: no statement updates or records more than ${PAGE_ROWS.toLocaleString('en')} rows`, async () => {
    // At once, 250,000 members took one statement past PostgreSQL's statement timeout (10 s): a 503
    // at every retry of the directory, and a group that could be neither renamed nor deleted.
    const M = 2 * PAGE_ROWS + 500;
    const t = await scimTenant('Paged');
    const dir = await makeDirectory(t.id);
    const db = await getDb();
    await db.execute(sql`insert into users (id, tenant_id, email, source, groups, roles, attributes)
      select 'usr_q_' || g, ${t.id}, 'q' || g || '@' || ${t.domain}, 'scim', array['Everyone'], array['member'], '{"groups":["Everyone"]}'::jsonb
      from generate_series(1, ${M}::int) g`);
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource, portal_user_id)
      select 'scu_q_' || g, ${dir.id}, ${t.id}, 'q' || g || '@' || ${t.domain},
        jsonb_build_object('userName', 'q' || g || '@' || ${t.domain}, 'active', true), 'usr_q_' || g
      from generate_series(1, ${M}::int) g`);
    await db.insert(scimGroups).values({ id: 'scg_q', directoryId: dir.id, tenantId: t.id, displayName: 'Everyone' });
    await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id) select 'scg_q', 'scu_q_' || g, ${dir.id} from generate_series(1, ${M}::int) g`);
    await db.execute(sql.raw(`create or replace function refuse_large_statement() returns trigger language plpgsql as $$
      begin if (select count(*) from rows) > ${PAGE_ROWS} then
        raise exception 'one statement % % rows of %', TG_OP, (select count(*) from rows), TG_TABLE_NAME; end if; return null; end $$`));
    const triggers = [
      ['users', 'update'],
      ['audit_events', 'insert'],
    ];
    for (const [table, op] of triggers) {
      await db.execute(sql.raw(`create trigger refuse_large_statement after ${op} on ${table} referencing new table as rows for each statement execute function refuse_large_statement()`));
    }
    try {
      const renamed = await scimCall(dir, 'PATCH', '/Groups/scg_q?excludedAttributes=members', patch({ op: 'replace', path: 'displayName', value: 'All' }));
      expect(renamed.status, JSON.stringify(renamed.body).slice(0, 300)).toBe(200);
      const deleted = await scimCall(dir, 'DELETE', '/Groups/scg_q');
      expect(deleted.status, JSON.stringify(deleted.body ?? '').slice(0, 300)).toBe(204);
    } finally {
      for (const [table] of triggers) await db.execute(sql.raw(`drop trigger refuse_large_statement on ${table}`));
    }
    const [n] = await db
      .select({ all: sql<number>`count(*) filter (where groups = array[]::text[])::int`, events: sql<number>`(select count(*)::int from audit_events where tenant_id = ${t.id} and action = 'user.updated')` })
      .from(users)
      .where(eq(users.tenantId, t.id));
    expect(n).toEqual({ all: M, events: 2 * M });
  }, 300_000);

  it('a user added to one group after another: each event names the group added, and past 50 groups lists only the groups that changed', async () => {
    const t = await scimTenant('Groups');
    const dir = await makeDirectory(t.id);
    const u = await scimCall(dir, 'POST', '/Users', oktaUser(`ada@${t.domain}`));
    const name = (i: number) => `${String(i).padStart(3, '0')}${'g'.repeat(500)}`;
    let first = '';
    for (let i = 1; i <= 60; i++) {
      const g = await scimCall(dir, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name(i), members: [{ value: u.body.id }] });
      expect(g.status).toBe(201);
      if (i === 1) first = g.body.id;
    }
    const db = await getDb();
    const updates = async () =>
      db
        .select({ details: auditEvents.details, size: sql<number>`length(${auditEvents.details}::text)` })
        .from(auditEvents)
        .where(and(eq(auditEvents.tenantId, t.id), eq(auditEvents.action, 'user.updated')))
        .orderBy(desc(auditEvents.id));
    const added = await updates();
    expect(added).toHaveLength(60);
    // The 2nd group: the lists whole (short), and what changed.
    expect(added[58].details).toMatchObject({ before: { groups: [name(1)] }, after: { groups: [name(1), name(2)] }, groupsAdded: [name(2)], groupsRemoved: [] });
    // The 60th: the group that came and the counts; the event is the size of one group's name, not of sixty.
    expect(added[0].details).toMatchObject({ before: { groups: [], groupCount: 59 }, after: { groups: [name(60)], groupCount: 60 }, groupsListed: 'changes', groupsAdded: [name(60)], groupsRemoved: [] });
    expect(added[0].size).toBeLessThan(2_000);
    // A group renamed: the old name left, the new one came (the console shows the change).
    expect((await scimCall(dir, 'PATCH', `/Groups/${first}`, patch({ op: 'replace', path: 'displayName', value: 'Renamed' }))).status).toBeLessThan(300);
    const [renamed] = await updates();
    expect(renamed.details).toMatchObject({ before: { groups: [name(1)], groupCount: 60 }, after: { groups: ['Renamed'], groupCount: 60 }, groupsAdded: ['Renamed'], groupsRemoved: [name(1)] });
    // The user deleted in the directory: the groups that left, not all sixty.
    expect((await scimCall(dir, 'DELETE', `/Users/${u.body.id}`)).status).toBe(204);
    const [gone] = await updates();
    expect(gone.details).toMatchObject({ before: { groupCount: 60 }, after: { groups: [], groupCount: 0 }, groupsRemoved: expect.arrayContaining(['Renamed', name(60)]) });
  }, 120_000);
});
