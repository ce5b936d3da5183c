import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { SYSTEM, type Ctx } from '@/lib/audit/types';
import { TENANT_SCOPES } from '@/lib/auth/permissions';
import { getDb } from '@/lib/db/client';
import { PAGE_ROWS } from '@/lib/db/pages';
import { auditEvents, directories, users } from '@/lib/db/schema';
import { scimCall } from '@/lib/testing/scim';
import { samlTenant } from '@/lib/testing/sso';
import { putConsoleAccess } from './console-access';
import { createDirectory, deleteDirectory } from './directories';
import { putRoleMapping } from './role-mappings';

// A budget for role evaluation of a whole request that a test can set to nothing.
vi.mock('@/lib/provisioning/mapping', async (original) => {
  const m = (await original()) as typeof import('@/lib/provisioning/mapping');
  class Meter extends m.MappingMeter {
    constructor(budgetMs?: number) {
      super(budgetMs ?? (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs);
    }
  }
  return { ...m, MappingMeter: Meter };
});

/** An admin holding only the directory section (a setup link for directory sync). */
const directoryOnly: Ctx = { actor: { type: 'admin', id: 'plk_dir', label: 'setup link' }, consoleScopes: ['directory_sync'] };
const scimUser = (email: string) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: email, emails: [{ value: email, primary: true }], active: true });
const scimGroup = (name: string, members: string[]) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: members.map((value) => ({ value })) });

/** A tenant whose "Admins" group gives the admin role, which opens every console section; directories A and B both push ada. */
async function world() {
  const { tenant: t, domain } = await samlTenant();
  await putRoleMapping(SYSTEM, t.id, { rules: [{ attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' }], defaultRole: 'member' }, 'add');
  await putConsoleAccess(SYSTEM, t.id, { roles: { admin: [...TENANT_SCOPES] } });
  const a = await createDirectory(SYSTEM, t.id, { name: 'Old' });
  const b = await createDirectory(SYSTEM, t.id, { name: 'New' });
  const ada = `ada@${domain}`;
  const inA = await scimCall(a, 'POST', '/Users', scimUser(ada));
  const inB = await scimCall(b, 'POST', '/Users', scimUser(ada));
  const db = await getDb();
  const user = async () => (await db.select().from(users).where(and(eq(users.tenantId, t.id), eq(users.email, ada))))[0];
  const exists = async (id: string) => (await db.select().from(directories).where(eq(directories.id, id))).length === 1;
  return { t, domain, a, b, inA: inA.body.id as string, inB: inB.body.id as string, user, exists };
}

/** Until `n` transactions of this database wait for another's lock. */
async function untilWaiting(other: pg.Client, n = 1): Promise<void> {
  for (let i = 0; ; i++) {
    // Within a transaction the view answers what it saw first, unless told to look again.
    await other.query('select pg_stat_clear_snapshot()');
    const { rows } = await other.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and cardinality(pg_blocking_pids(pid)) > 0`);
    if (rows[0].n >= n) return;
    if (i > 400) throw new Error(`fewer than ${n} transactions ever waited`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A transaction of another instance, begun on a connection of its own beside the test's; the connection ends after `fn`. */
async function inOtherTransaction<T>(fn: (other: pg.Client) => Promise<T>): Promise<T> {
  const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await other.connect();
  try {
    await other.query('begin');
    return await fn(other);
  } finally {
    await other.end();
  }
}

/** A deletion under way, awaited later (its failure handled if the test stops before). */
function deletionUnderWay(tenantId: string, id: string): Promise<void> {
  const deletion = deleteDirectory(SYSTEM, tenantId, id);
  deletion.catch(() => {});
  return deletion;
}

/** A tenant whose old directory alone pushes ada; a new directory pushes nobody yet. */
async function adaOnlyInOld() {
  const { tenant: t, domain } = await samlTenant();
  const a = await createDirectory(SYSTEM, t.id, { name: 'Old' });
  const b = await createDirectory(SYSTEM, t.id, { name: 'New' });
  const ada = `ada@${domain}`;
  expect((await scimCall(a, 'POST', '/Users', scimUser(ada))).status).toBe(201);
  const db = await getDb();
  const user = async () => (await db.select().from(users).where(and(eq(users.tenantId, t.id), eq(users.email, ada))))[0];
  return { t, a, b, ada, user, id: (await user()).id };
}

describe('deleting one of two directories that push the same user', () => {
  it('a narrower admin may delete it when nothing about an admin above them changes; not when it would take their admin group', async () => {
    const w = await world();
    expect((await scimCall(w.b, 'POST', '/Groups', scimGroup('Admins', [w.inB]))).status).toBe(201);
    expect(await w.user()).toMatchObject({ roles: ['admin'] });
    await deleteDirectory(directoryOnly, w.t.id, w.a.id);
    expect(await w.user()).toMatchObject({ status: 'active', roles: ['admin'], groups: ['Admins'] });

    const v = await world();
    expect((await scimCall(v.a, 'POST', '/Groups', scimGroup('Admins', [v.inA]))).status).toBe(201);
    await expect(deleteDirectory(directoryOnly, v.t.id, v.a.id)).rejects.toMatchObject({ status: 403, errors: [{ path: 'directoryId' }] });
    expect(await v.exists(v.a.id)).toBe(true);
    expect(await v.user()).toMatchObject({ roles: ['admin'], groups: ['Admins'] });
    // Whoever holds every section may.
    await deleteDirectory(SYSTEM, v.t.id, v.a.id);
    expect(await v.user()).toMatchObject({ status: 'active', roles: ['member'], groups: [] });
  });

  it('is not held to one request’s budget for working out roles (a migration from an old directory to a new one moves every user)', async () => {
    const w = await world();
    (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs = 0;
    try {
      await deleteDirectory(SYSTEM, w.t.id, w.a.id);
    } finally {
      delete (globalThis as { __requestBudgetMs?: number }).__requestBudgetMs;
    }
    expect(await w.exists(w.a.id)).toBe(false);
  });

  it(`a directory of many users is deleted a page at a time: no statement suspends, deletes or records more than ${PAGE_ROWS.toLocaleString('en')} rows`, async () => {
    // At once, 250,000 users took one statement past PostgreSQL's statement timeout (10 s): a 503 at
    // every try, and a directory nobody could delete.
    const w = await world();
    const db = await getDb();
    const orphans = 2 * PAGE_ROWS + 500; // only in A: suspended
    const kept = PAGE_ROWS + 100; // in A and B: lose A's group
    const email = sql`'p' || g || '@' || ${w.domain}`;
    const resource = sql`jsonb_build_object('userName', ${email}, 'active', true, 'emails', jsonb_build_array(jsonb_build_object('value', ${email}, 'primary', true)))`;
    const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;
    await db.execute(sql`insert into users (id, tenant_id, email, source, groups, roles, attributes)
      select 'usr_p_' || g, ${w.t.id}, ${email}, 'scim', case when g > ${orphans} then array['Old'] else array[]::text[] end, array['member'], '{}'::jsonb
      from generate_series(1, ${orphans + kept}::int) g`);
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource, portal_user_id)
      select 'scu_pa_' || g, ${w.a.id}, ${w.t.id}, ${email}, ${resource}, 'usr_p_' || g from generate_series(1, ${orphans + kept}::int) g`);
    await db.execute(sql`insert into scim_users (id, directory_id, tenant_id, user_name, resource, portal_user_id)
      select 'scu_pb_' || g, ${w.b.id}, ${w.t.id}, ${email}, ${resource}, 'usr_p_' || g from generate_series(${orphans + 1}::int, ${orphans + kept}::int) g`);
    await db.execute(sql`insert into scim_groups (id, directory_id, tenant_id, display_name) values ('scg_p_old', ${w.a.id}, ${w.t.id}, 'Old')`);
    await db.execute(sql`insert into scim_groups (id, directory_id, tenant_id, display_name) select 'scg_p_' || g, ${w.a.id}, ${w.t.id}, 'Team ' || g from generate_series(1, ${orphans}::int) g`);
    await db.execute(sql`insert into scim_group_members (group_id, user_id, directory_id)
      select 'scg_p_old', 'scu_pa_' || g, ${w.a.id} from generate_series(${orphans + 1}::int, ${orphans + kept}::int) g`);
    await db.execute(sql`insert into sessions (id, kind, subject_id, tenant_id, expires_at)
      select 'ses_p_' || g, 'user', 'usr_p_' || g, ${w.t.id}, now() + interval '1 day' from generate_series(1, ${orphans + kept}::int) g`);
    await db.execute(sql.raw(`create or replace function refuse_large_statement() returns trigger language plpgsql as $$
      begin if (select count(*) from rows) > ${PAGE_ROWS} then
        raise exception 'one statement % % rows of %', TG_OP, (select count(*) from rows), TG_TABLE_NAME; end if; return null; end $$`));
    const triggers = [
      ['users', 'update', 'new'],
      ['scim_users', 'delete', 'old'],
      ['scim_groups', 'delete', 'old'],
      ['sessions', 'delete', 'old'],
      ['audit_events', 'insert', 'new'],
    ];
    for (const [table, op, side] of triggers) {
      await db.execute(sql.raw(`create trigger refuse_large_statement after ${op} on ${table} referencing ${side} table as rows for each statement execute function refuse_large_statement()`));
    }
    try {
      await deleteDirectory(SYSTEM, w.t.id, w.a.id);
    } finally {
      for (const [table] of triggers) await db.execute(sql.raw(`drop trigger refuse_large_statement on ${table}`));
    }
    expect(await w.exists(w.a.id)).toBe(false);
    const [n] = rowsOf<{ suspended: number; kept: number }>(
      await db.execute(sql`select count(*) filter (where status = 'suspended')::int as suspended, count(*) filter (where status = 'active' and groups = array[]::text[])::int as kept
        from users where id like 'usr\_p\_%'`),
    );
    expect(n).toEqual({ suspended: orphans, kept });
    const [events] = rowsOf<{ suspended: number; updated: number }>(
      await db.execute(sql`select count(*) filter (where action = 'user.suspended')::int as suspended, count(*) filter (where action = 'user.updated')::int as updated
        from audit_events where tenant_id = ${w.t.id} and target_id like 'usr\_p\_%'`),
    );
    expect(events).toEqual({ suspended: orphans, updated: kept });
    const [left] = rowsOf<{ n: number }>(await db.execute(sql`select count(*)::int as n from sessions where id like 'ses\_p\_%'`));
    expect(left.n).toBe(kept);
  }, 180_000);

  it('the kept user’s events name the deleted directory; a kept user whose other SCIM user is inactive is suspended for the deletion', async () => {
    const w = await world();
    expect((await scimCall(w.b, 'PATCH', `/Users/${w.inB}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(200);
    expect(await w.user()).toMatchObject({ status: 'active' });
    await deleteDirectory(SYSTEM, w.t.id, w.a.id);
    expect(await w.user()).toMatchObject({ status: 'suspended', suspendedBy: 'scim' });
    const db = await getDb();
    const [suspended] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, w.t.id), eq(auditEvents.targetId, (await w.user()).id), eq(auditEvents.action, 'user.suspended')));
    expect(suspended).toMatchObject({ reason: 'directory deleted', details: { directoryId: w.a.id } });
  });

  it.skipIf(!process.env.DATABASE_URL)('a user another directory links while the deletion runs stays active (PostgreSQL, two connections)', async () => {
    const { t, a, b, ada, user, id } = await adaOnlyInOld();
    // Another instance's SCIM request of directory B, as it links ada (lib/scim/portal.ts: the portal
    // user locked by email, then the new SCIM user linked to it), not yet committed.
    await inOtherTransaction(async (other) => {
      await other.query('select id from users where id = $1 for update', [id]);
      await other.query(`insert into scim_users (id, directory_id, tenant_id, user_name, emails, resource, portal_user_id) values ('scu_race', $1, $2, $3, array[$3], '{}'::jsonb, $4)`, [b.id, t.id, ada, id]);
      const deletion = deletionUnderWay(t.id, a.id);
      // Until the deletion waits for that transaction, at the page's users.
      await untilWaiting(other);
      await other.query('commit');
      await deletion;
    });
    expect(await user()).toMatchObject({ status: 'active', suspendedBy: null });
  });

  it.skipIf(!process.env.DATABASE_URL)('another directory that pushes the user while the deletion suspends them waits for it, then links and reactivates them (PostgreSQL)', async () => {
    const { t, a, b, ada, user, id } = await adaOnlyInOld();
    const db = await getDb();
    await db.execute(sql`insert into sessions (id, kind, subject_id, tenant_id, expires_at) values ('ses_race', 'user', ${id}, ${t.id}, now() + interval '1 day')`);
    // Held by another connection, ada's session stops the deletion after it has locked and suspended her.
    const pushed = await inOtherTransaction(async (other) => {
      await other.query(`select id from sessions where id = 'ses_race' for update`);
      const deletion = deletionUnderWay(t.id, a.id);
      await untilWaiting(other);
      const push = scimCall(b, 'POST', '/Users', scimUser(ada));
      await untilWaiting(other, 2);
      await other.query('commit');
      await deletion;
      return push;
    });
    expect(pushed.status).toBe(201);
    expect(await user()).toMatchObject({ id, status: 'active', suspendedBy: null });
    const actions = (await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, t.id), eq(auditEvents.targetId, id)))).map((e) => e.action);
    expect(actions).toContain('user.suspended');
    expect(actions.filter((x) => x === 'user.suspended' || x === 'user.reactivated' || x === 'user.updated').length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!process.env.DATABASE_URL)('a deletion beside a "save and apply" of role mappings (the tenant, then its users) deadlocks neither (PostgreSQL)', async () => {
    const w = await world();
    const db = await getDb();
    // As lib/provisioning/apply.ts does: the tenant locked, then every user with attributes, in id order.
    await inOtherTransaction(async (other) => {
      await other.query('select 1 from tenants where id = $1 for update', [w.t.id]);
      const deletion = deletionUnderWay(w.t.id, w.a.id);
      await untilWaiting(other);
      await other.query('select id from users where tenant_id = $1 and attributes is not null order by id for update', [w.t.id]);
      await other.query('commit');
      await deletion;
    });
    expect(await w.exists(w.a.id)).toBe(false);
    expect(await w.user()).toMatchObject({ status: 'active' });
    expect(await db.select().from(directories).where(eq(directories.id, w.b.id))).toHaveLength(1);
  });

  it.skipIf(!process.env.DATABASE_URL)('a deletion beside a SCIM change that moves a user to another’s email (two users locked out of id order) completes (PostgreSQL)', async () => {
    const { tenant: t, domain } = await samlTenant();
    const a = await createDirectory(SYSTEM, t.id, { name: 'Old' });
    const b = await createDirectory(SYSTEM, t.id, { name: 'New' });
    for (const name of ['first', 'second']) expect((await scimCall(a, 'POST', '/Users', scimUser(`${name}@${domain}`))).status).toBe(201);
    const db = await getDb();
    const [q, p] = (await db.select().from(users).where(eq(users.tenantId, t.id))).sort((x, y) => (x.id < y.id ? -1 : 1));
    // B pushes p too: a SCIM change of B that moves p to q's email locks p, then q (lib/scim/portal.ts linkPortalUser).
    expect((await scimCall(b, 'POST', '/Users', scimUser(p.email))).status).toBe(201);
    await inOtherTransaction(async (other) => {
      await other.query('select id from users where id = $1 for update', [p.id]);
      const deletion = deletionUnderWay(t.id, a.id);
      await untilWaiting(other);
      // PostgreSQL ends the deadlock by aborting one side; a SCIM request runs again (transactionRetried), and so does the deletion.
      const moved = await other.query('select id from users where lower(email) = $1 for update', [q.email]).then(
        () => 'locked',
        (e: { code?: string }) => e.code,
      );
      expect(['locked', '40P01']).toContain(moved);
      await other.query(moved === 'locked' ? 'commit' : 'rollback');
      await deletion;
    });
    expect(await db.select().from(directories).where(eq(directories.id, a.id))).toHaveLength(0);
    const after = await db.select().from(users).where(eq(users.tenantId, t.id));
    expect(after.find((u) => u.id === q.id)).toMatchObject({ status: 'suspended' });
    expect(after.find((u) => u.id === p.id)).toMatchObject({ status: 'active' });
  });
});
