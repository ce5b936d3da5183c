import { count, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { getDb } from '@/lib/db/client';
import { scimGroupMembers, scimGroups, scimUsers, tenants, users } from '@/lib/db/schema';
import { putRoleMapping } from '@/lib/dal/role-mappings';
import { makeDirectory, oktaUser, patch, scimCall, scimTenant } from '@/lib/testing/scim';
import { evaluationCost, MAPPING_BUDGET } from '@/lib/provisioning/mapping';
import { FALLBACK_LIMIT } from './budgets';

/** SCIM work whose size the client controls is refused (SCIM Error schema), and nothing is written. */

async function snapshot(tenantId: string) {
  const db = await getDb();
  const n = async (q: Promise<{ n: number }[]>) => Number((await q)[0].n);
  return {
    scimUsers: await n(db.select({ n: count() }).from(scimUsers).where(eq(scimUsers.tenantId, tenantId))),
    scimGroups: await n(db.select({ n: count() }).from(scimGroups).where(eq(scimGroups.tenantId, tenantId))),
    members: await n(db.select({ n: count() }).from(scimGroupMembers).innerJoin(scimGroups, eq(scimGroups.id, scimGroupMembers.groupId)).where(eq(scimGroups.tenantId, tenantId))),
    users: JSON.stringify(await db.select({ id: users.id, roles: users.roles, groups: users.groups, updatedAt: users.updatedAt }).from(users).where(eq(users.tenantId, tenantId)).orderBy(users.id)),
    versions: JSON.stringify(await db.select({ v: scimUsers.version }).from(scimUsers).where(eq(scimUsers.tenantId, tenantId)).orderBy(scimUsers.id)),
  };
}

const scimError = (body: any, status: number, scimType: string, detail: RegExp) => {
  expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), scimType });
  expect(body.detail).toMatch(detail);
};

async function directoryWithUser() {
  const t = await scimTenant('Budget');
  const dir = await makeDirectory(t.id);
  const u = await scimCall(dir, 'POST', '/Users', oktaUser(`ada@${t.domain}`));
  expect(u.status).toBe(201);
  const g = await scimCall(dir, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Eng', members: [{ value: u.body.id }] });
  expect(g.status).toBe(201);
  return { t, dir, userId: u.body.id as string, groupId: g.body.id as string };
}

describe('SCIM budgets', () => {
  beforeAll(async () => {
    await getDb();
  });

  it('filters over 2,000 characters or 50 comparisons → 400 invalidFilter (GET and POST .search)', async () => {
    const { dir } = await directoryWithUser();
    const long = `userName eq "${'a'.repeat(2000)}"`;
    const many = Array.from({ length: 51 }, (_, i) => `userName eq "u${i}"`).join(' or ');
    for (const filter of [long, many]) {
      const get = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(get.status).toBe(400);
      scimError(get.body, 400, 'invalidFilter', /at most (2000|50)/);
      const search = await scimCall(dir, 'POST', '/Groups/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter });
      expect(search.status).toBe(400);
      scimError(search.body, 400, 'invalidFilter', /at most (2000|50)/);
    }
    const fifty = Array.from({ length: 50 }, (_, i) => `userName eq "u${i}"`).join(' or ');
    expect((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(fifty)}`)).status).toBe(200);
    const attrs = Array.from({ length: 101 }, (_, i) => `a${i}`).join(',');
    scimError((await scimCall(dir, 'GET', `/Users?attributes=${attrs}`)).body, 400, 'invalidFilter', /101 attributes/);
  });

  it('a user of more than 100 values in one attribute or 64 KiB → 400 invalidValue; a PATCH whose work (operations × the user’s size) is over budget too; nothing written', async () => {
    const { t, dir, userId } = await directoryWithUser();
    const emails = (n: number) => [{ value: `bo@${t.domain}`, type: 'work', primary: true }, ...Array.from({ length: n - 1 }, (_, i) => ({ value: `e${i}@x.io`, type: 'other' }))];
    const before = await snapshot(t.id);
    const many = await scimCall(dir, 'POST', '/Users', oktaUser(`bo@${t.domain}`, { emails: emails(101) }));
    scimError(many.body, 400, 'invalidValue', /emails holds 101 values; at most 100/);
    const big = await scimCall(dir, 'POST', '/Users', oktaUser(`bo@${t.domain}`, { title: 'x'.repeat(70_000) }));
    scimError(big.body, 400, 'invalidValue', /larger than 64 KiB/);
    // By PATCH as well.
    const grown = await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'add', path: 'emails', value: emails(101).slice(1) }));
    scimError(grown.body, 400, 'invalidValue', /emails holds 10[12] values; at most 100/);
    expect(await snapshot(t.id)).toEqual(before);
    // A user near the size limit: 1,000 operations are too much work; 5 are not.
    expect((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'replace', path: 'title', value: 'x'.repeat(60_000) }))).status).toBe(200);
    const full = await snapshot(t.id);
    const ops = (n: number) => patch(...Array.from({ length: n }, (_, i) => ({ op: 'remove', path: `emails[value eq "nomatch${i}@x.io"]` })));
    scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, ops(1000))).body, 400, 'invalidValue', /operations × .* of this user/);
    expect(await snapshot(t.id)).toEqual(full);
    expect((await scimCall(dir, 'PATCH', `/Users/${userId}`, ops(5))).status).toBe(200);
    // The work is charged on what the PATCH brings too: a list of more values than a user may hold
    // is refused before any operation runs (2,000 added, then 100 removals over them took 13 s).
    const growing = patch({ op: 'add', path: 'emails', value: emails(2000).slice(1) }, ...Array.from({ length: 100 }, (_, i) => ({ op: 'remove', path: `emails[value eq "n${i}"]` })));
    scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, growing)).body, 400, 'invalidValue', /holds 1999 values; at most 100/);
    // A user stored over the limits before they existed can still be deactivated.
    await (await getDb()).update(scimUsers).set({ resource: sql`${scimUsers.resource} || ${JSON.stringify({ emails: emails(150) })}::jsonb` }).where(eq(scimUsers.id, userId));
    const off = await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'replace', path: 'active', value: false }));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
  });

  it('a list of groups renders at most 10,000 members (a page cut short, at least one group); a PATCH the engine applies to a whole large group is over budget', async () => {
    const { t, dir } = await directoryWithUser();
    const db = await getDb();
    // 12,010 users and three groups of 6,000, 6,000 and 10 members, straight into the tables.
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource)
      select 'scu_m_' || ${dir.id} || '_' || g, ${dir.id}, ${t.id}, 'm' || g || '@' || ${t.domain}, jsonb_build_object('userName', 'm' || g || '@' || ${t.domain})
      from generate_series(1, 12010) g`);
    const group = async (id: string, from: number, to: number) => {
      await db.insert(scimGroups).values({ id: `scg_${id}_${dir.id}`, directoryId: dir.id, tenantId: t.id, displayName: id });
      await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id)
        select ${`scg_${id}_${dir.id}`}, 'scu_m_' || ${dir.id} || '_' || g, ${dir.id} from generate_series(${from}::int, ${to}::int) g`);
    };
    await group('a', 1, 6000);
    await group('b', 6001, 12000);
    await group('c', 12001, 12010);
    const list = async (q: string) => (await scimCall(dir, 'GET', `/Groups?${q}`)).body;
    const ids = (body: any) => body.Resources.map((r: any) => r.displayName);
    // Groups sort by id: Eng (made through SCIM, scg_0…) first, then a, b, c.
    const first = await list('count=10');
    expect(first).toMatchObject({ totalResults: 4, startIndex: 1, itemsPerPage: 2 });
    expect(ids(first)).toEqual(['Eng', 'a']);
    expect(first.Resources[1].members).toHaveLength(6000);
    const next = await list('startIndex=3&count=10');
    expect(ids(next)).toEqual(['b', 'c']);
    expect(ids(await list('count=10&excludedAttributes=members'))).toEqual(['Eng', 'a', 'b', 'c']);
    // A filter without SQL translation reads every group with its members: refused past 10,000.
    const fallback = await scimCall(dir, 'GET', `/Groups?filter=${encodeURIComponent('members.display co "m1"')}`);
    scimError(fallback.body, 400, 'tooMany', /groups have more than 10000/);
    // A PATCH of a shape the engine applies to the whole group (not a member add/remove or rename).
    const odd = patch(...Array.from({ length: 10 }, (_, i) => ({ op: 'remove', path: `members[display eq "nobody${i}"]` })));
    scimError((await scimCall(dir, 'PATCH', `/Groups/scg_a_${dir.id}`, odd)).body, 400, 'invalidValue', /over the work budget/);

    // One group of more than 10,000 members is not rendered with them (22 MB and 5 s at 100,000):
    // read it with excludedAttributes=members, as Entra and Okta do.
    await group('d', 1, 10_001);
    const d = `scg_d_${dir.id}`;
    scimError((await scimCall(dir, 'GET', `/Groups/${d}`)).body, 400, 'tooMany', /10001 members; at most 10000 .*excludedAttributes=members/);
    const slim = await scimCall(dir, 'GET', `/Groups/${d}?excludedAttributes=members`);
    expect(slim.status).toBe(200);
    expect(slim.body.members).toBeUndefined();
    expect(ids(await list('startIndex=4&count=10'))).toEqual(['c']);
    scimError(await list('startIndex=5&count=10'), 400, 'tooMany', /excludedAttributes=members/);
    expect(ids(await list('startIndex=4&count=10&excludedAttributes=members'))).toEqual(['c', 'd']);
    // A change to it is made, and answered without its members; a change the engine would apply to the whole group is refused before reading them.
    const added = await scimCall(dir, 'PATCH', `/Groups/${d}?attributes=displayName,members`, patch({ op: 'add', path: 'members', value: [{ value: `scu_m_${dir.id}_12005` }] }));
    expect(added.status, JSON.stringify(added.body).slice(0, 300)).toBeLessThan(300);
    expect(added.body?.members).toBeUndefined();
    expect(((await db.execute(sql`select count(*)::int as n from scim_group_members where group_id = ${d}`)) as unknown as { rows: unknown[] }).rows[0]).toEqual({ n: 10_002 });
    scimError((await scimCall(dir, 'PATCH', `/Groups/${d}`, patch({ op: 'remove', path: 'members[display eq "nobody"]' }))).body, 400, 'invalidValue', /10002 members/);
  }, 60_000);

  it('answers stay bounded by size: a member’s display is at most 256 characters; a page of users is cut at 10,000 group references, and a user in more is answered without them', async () => {
    const { t, dir, userId, groupId } = await directoryWithUser();
    const db = await getDb();
    // A member with a 60,000-character displayName (within the 64 KiB of a user).
    const long = await scimCall(dir, 'POST', '/Users', { ...oktaUser(`long@${t.domain}`), displayName: 'L'.repeat(60_000) });
    expect(long.status).toBe(201);
    expect((await scimCall(dir, 'PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: [{ value: long.body.id }] }))).status).toBeLessThan(300);
    const g = await scimCall(dir, 'GET', `/Groups/${groupId}`);
    expect(Math.max(...g.body.members.map((m: any) => m.display.length))).toBe(256);
    // 10,001 groups, straight into the tables: ada in all of them, three more users in 4,000 each.
    await db.execute(sql`insert into scim_groups (id, directory_id, tenant_id, display_name)
      select 'scg_many_' || ${dir.id} || '_' || g, ${dir.id}, ${t.id}, 'Many ' || g from generate_series(1, 10001) g`);
    await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id)
      select 'scg_many_' || ${dir.id} || '_' || g, ${userId}, ${dir.id} from generate_series(1, 10001) g`);
    const others: string[] = [];
    for (const k of [1, 2, 3]) {
      const u = await scimCall(dir, 'POST', '/Users', oktaUser(`m${k}@${t.domain}`));
      others.push(u.body.id);
      await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id)
        select 'scg_many_' || ${dir.id} || '_' || g, ${u.body.id}, ${dir.id} from generate_series(1, 4000) g`);
    }
    const ada = await scimCall(dir, 'GET', `/Users/${userId}`);
    expect(ada.status).toBe(200);
    expect(ada.body.groups).toBeUndefined();
    const page = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName sw "m"`)}&count=10`);
    expect(page.body).toMatchObject({ totalResults: 3, itemsPerPage: 2 });
    expect(page.body.Resources.map((r: any) => r.groups.length)).toEqual([4000, 4000]);
  }, 60_000);

  it('an AND of ORs past 64 terms once expanded → 400 invalidFilter, in a filter, an attribute list or a PATCH path; nothing written', async () => {
    const { t, dir, userId } = await directoryWithUser();
    const pairs = (k: number) => Array.from({ length: k }, (_, i) => `(id eq "a${i}" or id eq "b${i}")`).join(' and ');
    const get = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(pairs(16))}`);
    scimError(get.body, 400, 'invalidFilter', /65536 terms once expanded; at most 64/);
    const search = await scimCall(dir, 'POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: pairs(16) });
    scimError(search.body, 400, 'invalidFilter', /65536 terms/);
    // The attribute list was glued into a filter: a "name" holding an expression is not a name.
    const attrs = Array.from({ length: 14 }, (_, i) => `(a${i} pr or b${i} pr)`).join(' and ');
    scimError((await scimCall(dir, 'GET', `/Users/${userId}?attributes=${encodeURIComponent(`${attrs} and userName`)}`)).body, 400, 'invalidFilter', /not an attribute name/);
    const before = await snapshot(t.id);
    const p = await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'remove', path: `emails[${pairs(14)}].value` }));
    scimError(p.body, 400, 'invalidValue', /path's filter has 16384 terms/);
    expect(await snapshot(t.id)).toEqual(before);
    // An everyday value-path PATCH still works.
    expect((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'replace', path: 'emails[type eq "work"].value', value: `ada@${t.domain}` }))).status).toBe(200);
  });

  it('a filter or PATCH path the parser would backtrack on (backslashes, line breaks) → 400 before it is parsed, nothing written; a few backslashes pass', async () => {
    const { t, dir, userId } = await directoryWithUser();
    // An unclosed quoted value of backslashes backtracks exponentially in the filter parser (40 held the process 2.4 s).
    const slashes = `userName eq "${'\\'.repeat(26)}x`;
    const breaks = `userName eq "${'\n'.repeat(26)}x`;
    for (const [filter, why] of [[slashes, /26 backslashes; at most 8/], [breaks, /line break/]] as const) {
      scimError((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(filter)}`)).body, 400, 'invalidFilter', why);
      scimError((await scimCall(dir, 'POST', '/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter })).body, 400, 'invalidFilter', why);
    }
    const before = await snapshot(t.id);
    for (const path of [`emails[value eq "${'\\'.repeat(26)}x]`, `emails[value eq "${'\n'.repeat(26)}x]`]) {
      scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'remove', path }))).body, 400, 'invalidValue', /backslashes|line break/);
    }
    expect(await snapshot(t.id)).toEqual(before);
    // A value with a backslash or two (a DOMAIN\\user name) is an ordinary filter.
    const fine = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent('userName eq "CORP\\\\ada" or userName eq "a"')}`);
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
  });

  it('body keys are bounded in length (a key of 60,000 "[" held the process 2.5 s), anywhere in the body; nothing written', async () => {
    const { t, dir, userId, groupId } = await directoryWithUser();
    const before = await snapshot(t.id);
    const key = '['.repeat(20_000);
    for (const [m, p, body] of [
      ['POST', '/Users', { ...oktaUser(`k@${t.domain}`), [key]: 'x' }],
      ['POST', '/Groups', { displayName: 'K', [key]: 'x' }],
      ['PUT', `/Users/${userId}`, { ...oktaUser(`ada@${t.domain}`), [key]: 'x' }],
      ['PATCH', `/Users/${userId}`, patch({ op: 'add', path: 'name', value: { [key]: 'x' } })],
      ['PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'externalId', value: { [key]: 'x' } })],
    ] as const) {
      scimError((await scimCall(dir, m, p, body)).body, 400, 'invalidValue', /key of 20000 characters; at most 2300/);
    }
    expect(await snapshot(t.id)).toEqual(before);
  });

  it('filters nested too deeply, or naming a sub-attribute of a simple one, → 400 invalidFilter, never a 500', async () => {
    const { dir, groupId } = await directoryWithUser();
    const deep = `${'('.repeat(40)}userName eq "a"${')'.repeat(40)}`;
    scimError((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(deep)}`)).body, 400, 'invalidFilter', /nested 40 deep; at most 32/);
    scimError((await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`${'('.repeat(1970)}a pr`)}`)).body, 400, 'invalidFilter', /nested/);
    scimError((await scimCall(dir, 'PATCH', `/Groups/${groupId}`, patch({ op: 'remove', path: `members[${'('.repeat(40)}value eq "a"${')'.repeat(40)}]` }))).body, 400, 'invalidValue', /nested/);
    for (const f of ['name.x eq "a"', 'name.givenName.x eq "a"', 'emails.value.x eq "a"', 'emails[value.x eq "a"]', 'emails[type eq "work"].value.x eq "a"']) {
      // An answer (nothing matches) or a 400 naming the filter; never a crash.
      const r = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(f)}`);
      expect(r.status, `${f}: ${JSON.stringify(r.body)}`).toBeLessThan(500);
      if (r.status === 400) expect(r.body.scimType).toBe('invalidFilter');
      else expect(r.body.totalResults).toBe(0);
    }
    const g = await scimCall(dir, 'GET', `/Groups?filter=${encodeURIComponent('meta.x.y eq "a"')}`);
    expect(g.status, JSON.stringify(g.body)).toBe(400);
    expect(g.body.scimType).toBe('invalidFilter');
  });

  it('PATCH paths the parser would split for long (quadratic in their length) → 400 invalidValue, nothing written; a thousand everyday value paths pass', async () => {
    const { t, dir, userId, groupId } = await directoryWithUser();
    const before = await snapshot(t.id);
    const long = `${'a.'.repeat(2000)}b`;
    scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'replace', path: long, value: 'x' }))).body, 400, 'invalidValue', /4001 characters; at most 2300/);
    scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch({ op: 'replace', value: { [long]: 'x' } }))).body, 400, 'invalidValue', /4001 characters/);
    // Under the length limit each, but too many together (an 80,000-character path took 2.2 s).
    const many = Array.from({ length: 30 }, () => ({ op: 'replace', path: `${'a.'.repeat(1100)}b`, value: 'x' }));
    scimError((await scimCall(dir, 'PATCH', `/Users/${userId}`, patch(...many))).body, 400, 'invalidValue', /paths are too long together/);
    expect(await snapshot(t.id)).toEqual(before);
    const removals = Array.from({ length: 1000 }, (_, i) => ({ op: 'remove', path: `members[value eq "scu_not_a_member_${String(i).padStart(20, '0')}"]` }));
    const ok = await scimCall(dir, 'PATCH', `/Groups/${groupId}`, patch(...removals));
    expect(ok.status, JSON.stringify(ok.body).slice(0, 300)).toBeLessThan(300);
  }, 30_000);

  it(`a filter without SQL translation over more than ${FALLBACK_LIMIT} users → 400 tooMany; at ${FALLBACK_LIMIT} it is answered`, async () => {
    const { t, dir } = await directoryWithUser();
    const db = await getDb();
    // 4,999 more users (5,000 in all), straight into the table: the fallback reads whatever is there.
    const add = (from: number, to: number) =>
      db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource)
        select 'scu_bulk_' || ${dir.id} || '_' || g, ${dir.id}, ${t.id}, 'bulk' || g || '@' || ${t.domain},
          jsonb_build_object('userName', 'bulk' || g || '@' || ${t.domain})
        from generate_series(${from}::int, ${to}::int) g`);
    await add(1, FALLBACK_LIMIT - 1);
    const filter = encodeURIComponent('phoneNumbers np and userName sw "ada"');
    const ok = await scimCall(dir, 'GET', `/Users?filter=${filter}&count=1`);
    expect(ok.status).toBe(200);
    expect(ok.body.totalResults).toBe(1);
    await add(FALLBACK_LIMIT, FALLBACK_LIMIT);
    const over = await scimCall(dir, 'GET', `/Users?filter=${filter}`);
    expect(over.status).toBe(400);
    scimError(over.body, 400, 'tooMany', /more than 5000; filter on id, userName, externalId or emails/);
    // Filters with a translation are index lookups, whatever the size.
    const indexed = await scimCall(dir, 'GET', `/Users?filter=${encodeURIComponent(`userName eq "ada@${t.domain}"`)}`);
    expect(indexed.status).toBe(200);
    expect(indexed.body.totalResults).toBe(1);
  }, 20_000);

  it('a filter without SQL translation over users too large to match in memory, or too many terms over them → 400 tooMany (the work, not just the count)', async () => {
    const { t, dir } = await directoryWithUser();
    const db = await getDb();
    // Users of 40,000 characters each (straight into the table: a state repeated creates reach).
    const add = (from: number, to: number) =>
      db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource)
        select 'scu_big_' || ${dir.id} || '_' || g, ${dir.id}, ${t.id}, 'big' || g || '@' || ${t.domain},
          jsonb_build_object('userName', 'big' || g || '@' || ${t.domain}, 'title', repeat('x', 40000))
        from generate_series(${from}::int, ${to}::int) g`);
    await add(1, 60);
    const one = encodeURIComponent('phoneNumbers np and userName sw "ada"');
    expect((await scimCall(dir, 'GET', `/Users?filter=${one}&count=1`)).status).toBe(200);
    // 25 terms over 2.4 MB: too much matching.
    const many = encodeURIComponent(Array.from({ length: 25 }, (_, i) => `(phoneNumbers np and title sw "y${i}")`).join(' or '));
    scimError((await scimCall(dir, 'GET', `/Users?filter=${many}`)).body, 400, 'tooMany', /25 terms over 2\.\d MB/);
    // 12 MB of users: too much to read at all.
    await add(61, 300);
    scimError((await scimCall(dir, 'GET', `/Users?filter=${one}`)).body, 400, 'tooMany', /12\.\d MB; at most 10 MB/);
  }, 30_000);

  it('PATCH with more than 1,000 operations or 10,000 member values → 400 invalidValue, nothing written', async () => {
    const { t, dir, userId, groupId } = await directoryWithUser();
    const before = await snapshot(t.id);
    const titles = Array.from({ length: 1001 }, (_, i) => ({ op: 'replace', path: 'title', value: `t${i}` }));
    const u = await scimCall(dir, 'PATCH', `/Users/${userId}`, patch(...titles));
    expect(u.status).toBe(400);
    scimError(u.body, 400, 'invalidValue', /1001 operations; at most 1000/);
    const g = await scimCall(dir, 'PATCH', `/Groups/${groupId}`, patch(...titles.map(() => ({ op: 'add', path: 'members', value: [{ value: userId }] }))));
    scimError(g.body, 400, 'invalidValue', /1001 operations/);
    const many = Array.from({ length: 10_001 }, () => ({ value: userId }));
    const m = await scimCall(dir, 'PATCH', `/Groups/${groupId}`, patch({ op: 'add', path: 'members', value: many }));
    expect(m.status).toBe(400);
    scimError(m.body, 400, 'invalidValue', /10001 member values; at most 10000/);
    expect(await snapshot(t.id)).toEqual(before);
    // At the limits a PATCH goes through.
    const fine = await scimCall(dir, 'PATCH', `/Users/${userId}`, patch(...titles.slice(0, 1000)));
    expect(fine.status).toBe(200);
    expect(fine.body.title).toBe('t999');
  });

  it('a user over the role-mapping budget → 400 invalidValue, no SCIM user and no portal user', async () => {
    const t = await scimTenant('Budget');
    const dir = await makeDirectory(t.id);
    // The slowest pattern family: (1,983 + 16) × (3,000 + 8) units is over the budget of 4 M.
    await putRoleMapping(SYSTEM, t.id, { rules: [{ attribute: 'displayName', operator: 'matches', value: '(?:.?){1,660}x', role: 'admin' }], defaultRole: 'member' }, 'add');
    const before = await snapshot(t.id);
    const r = await scimCall(dir, 'POST', '/Users', oktaUser(`big@${t.domain}`, { displayName: 'a'.repeat(3000) }));
    expect(r.status).toBe(400);
    scimError(r.body, 400, 'invalidValue', /more than this tenant's role-mapping rules can evaluate.*Nothing was changed/);
    expect(await snapshot(t.id)).toEqual(before);
    // The same user with an everyday display name is created.
    const ok = await scimCall(dir, 'POST', '/Users', oktaUser(`big@${t.domain}`, { displayName: 'Ada' }));
    expect(ok.status).toBe(201);
  });
});

describe('offboarding never depends on the role mapping', () => {
  it('rules that came to cost more than the budget for a user (a heavier cost model after an upgrade, say) still let the directory deactivate and delete: the roles are kept; only a change that leaves the user active is refused', async () => {
    const t = await scimTenant('Offboard');
    const dir = await makeDirectory(t.id);
    const heavy = oktaUser(`heavy@${t.domain}`, { displayName: 'a'.repeat(3000) });
    const a = await scimCall(dir, 'POST', '/Users', heavy);
    const b = await scimCall(dir, 'POST', '/Users', oktaUser(`heavy2@${t.domain}`, { displayName: 'a'.repeat(3000) }));
    expect([a.status, b.status]).toEqual([201, 201]);
    const db = await getDb();
    const rolesBefore = (await db.select({ roles: users.roles }).from(users).where(eq(users.email, `heavy@${t.domain}`)))[0].roles;
    // The stored rules now cost more than the budget over these users' attributes.
    const rules = [{ attribute: 'displayName', operator: 'matches' as const, value: '(?:.?){1,660}x', role: 'admin' }];
    expect(evaluationCost({ rules, defaultRole: 'member' }, { displayName: ['a'.repeat(3000)] }).cost).toBeGreaterThan(MAPPING_BUDGET);
    await db.update(tenants).set({ roleRules: rules }).where(eq(tenants.id, t.id));
    const off = await scimCall(dir, 'PATCH', `/Users/${a.body.id}`, patch({ op: 'replace', value: { active: false } }));
    expect(off.status).toBe(200);
    const [u] = await db.select().from(users).where(eq(users.email, `heavy@${t.domain}`));
    expect(u).toMatchObject({ status: 'suspended', suspendedBy: 'scim', roles: rolesBefore });
    expect((await scimCall(dir, 'DELETE', `/Users/${b.body.id}`)).status).toBe(204);
    expect((await db.select({ status: users.status }).from(users).where(eq(users.email, `heavy2@${t.domain}`)))[0].status).toBe('suspended');
    // Back to active, the roles must be worked out: refused, and the user stays suspended.
    const on = await scimCall(dir, 'PATCH', `/Users/${a.body.id}`, patch({ op: 'replace', value: { active: true } }));
    expect(on.status).toBe(400);
    scimError(on.body, 400, 'invalidValue', /role-mapping rules can evaluate/);
    expect((await db.select({ status: users.status }).from(users).where(eq(users.email, `heavy@${t.domain}`)))[0].status).toBe('suspended');
  });
});

describe('role mappings across one request', () => {
  it('a group change whose members’ roles together cost more than one request may is refused (400), nothing changed; fewer members per request pass', async () => {
    // A tenant's own costly rules (each user just under the per-user budget) and a group of 80:
    // re-evaluating them all in the request's transaction would hold the database for seconds.
    const t = await scimTenant('MappingTotal');
    const rules = Array.from({ length: 10 }, (_, i) => ({ attribute: 'title', operator: 'matches' as const, value: `(?:.?){1,662}x${'y'.repeat(i)}`, role: 'viewer' }));
    const mapping = { rules, defaultRole: 'member' };
    await putRoleMapping(SYSTEM, t.id, mapping);
    let len = 10;
    while (evaluationCost(mapping, { title: ['a'.repeat(len + 1)] }).cost < MAPPING_BUDGET) len++;
    const dir = await makeDirectory(t.id);
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) {
      const r = await scimCall(dir, 'POST', '/Users', oktaUser(`u${i}@${t.domain}`, { title: 'a'.repeat(len) }));
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const group = (members: string[]) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `Everyone ${members.length}`, members: members.map((value) => ({ value })) });
    const refused = await scimCall(dir, 'POST', '/Groups', group(ids));
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toMatch(/role-mapping rules/);
    expect(refused.body.detail).toMatch(/fewer members/);
    const db = await getDb();
    expect(await db.select().from(scimGroups).where(eq(scimGroups.directoryId, dir.id))).toHaveLength(0);
    // Within the budget the same members pass, a few per request.
    const ok = await scimCall(dir, 'POST', '/Groups', group(ids.slice(0, 5)));
    expect(ok.status).toBe(201);
  }, 120_000);

  it('ordinary rules over a large group: a DELETE or a rename, which cannot be split, is not refused (the budget is the work actually done)', async () => {
    // Patterns whose worst-case estimate is high (about 580,000 units a user) but which run in microseconds.
    const t = await scimTenant('MappingOrdinary');
    const rules = ['[a-z]{1,300}-team', '[A-Z][a-z]{1,300}-leads', '[a-z]{1,300}-finance'].map((value) => ({ attribute: 'title', operator: 'matches' as const, value, role: 'viewer' }));
    await putRoleMapping(SYSTEM, t.id, { rules, defaultRole: 'member' });
    const dir = await makeDirectory(t.id);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await scimCall(dir, 'POST', '/Users', oktaUser(`o${i}@${t.domain}`, { title: `${'q'.repeat(290)}${i}` }));
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    const g = await scimCall(dir, 'POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'All staff', members: [] });
    expect(g.status).toBe(201);
    for (let i = 0; i < ids.length; i += 50) {
      const add = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'add', path: 'members', value: ids.slice(i, i + 50).map((value) => ({ value })) }));
      expect(add.status).toBeLessThan(300);
    }
    const renamed = await scimCall(dir, 'PATCH', `/Groups/${g.body.id}`, patch({ op: 'replace', path: 'displayName', value: 'Everyone' }));
    expect(renamed.status, JSON.stringify(renamed.body)).toBeLessThan(300);
    const gone = await scimCall(dir, 'DELETE', `/Groups/${g.body.id}`);
    expect(gone.status, JSON.stringify(gone.body)).toBe(204);
  }, 120_000);
});
