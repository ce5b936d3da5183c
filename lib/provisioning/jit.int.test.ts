import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { dbHandle, getDb } from '@/lib/db/client';
import { auditEvents, sessions, userIdentities, users } from '@/lib/db/schema';
import { findConnectionById } from '@/lib/dal/connections';
import { signInTenant } from '@/lib/dal/sign-in';
import { LoginRejected } from '@/lib/sso/failures';
import { meta, samlTenant } from '@/lib/testing/sso';
import { signInUser, type IdpProfile } from './jit';

const profile = (email: string, over: Partial<IdpProfile> = {}): IdpProfile => ({
  subject: email,
  email,
  firstName: 'Grace',
  lastName: 'Hopper',
  groups: ['Everyone'],
  attributes: {},
  ...over,
});

async function setup() {
  const { tenant, connection, domain } = await samlTenant();
  return { tenant: (await signInTenant(tenant.id))!, connection: (await findConnectionById(connection.id))!, domain };
}

async function state(tenantId: string) {
  const db = await getDb();
  return {
    users: await db.select().from(users).where(eq(users.tenantId, tenantId)),
    sessions: await db.select().from(sessions).where(eq(sessions.tenantId, tenantId)),
    identities: await db.select().from(userIdentities).where(eq(userIdentities.tenantId, tenantId)),
    actions: (await db.select().from(auditEvents).where(eq(auditEvents.tenantId, tenantId)).orderBy(auditEvents.id))
      .map((e) => e.action)
      .filter((a) => a.startsWith('user.') || a.startsWith('sso.')),
  };
}

/**
 * Runs `change` once, just before the next one-statement write: a concurrent change between the
 * sign-in's read and its write. Counts the statements that write went through.
 */
async function beforeNextWrite(change: () => Promise<void>): Promise<{ oneStatementWrites: () => number }> {
  const handle = await dbHandle();
  const original = handle.runPrepared;
  let calls = 0;
  handle.runPrepared = async (text, params) => {
    calls++;
    handle.runPrepared = original;
    await change();
    return original(text, params);
  };
  return { oneStatementWrites: () => calls };
}

describe('JIT sign-in: one statement, or a locked transaction when the user changed meanwhile', () => {
  it('creates, then updates, in one write statement each', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `grace@${domain}`;
    const first = await signInUser(meta, tenant, connection, profile(email));
    expect(first).toMatchObject({ created: true, user: { email, firstName: 'Grace', roles: ['member'], status: 'active' } });
    const second = await signInUser(meta, tenant, connection, profile(email, { firstName: 'Amazing Grace' }));
    expect(second).toMatchObject({ created: false, user: { id: first.user.id, firstName: 'Amazing Grace' } });
    const s = await state(tenant.id);
    expect(s.users).toHaveLength(1);
    expect(s.users[0]).toMatchObject({ firstName: 'Amazing Grace', groups: ['Everyone'], lastLoginAt: second.user.lastLoginAt });
    expect(s.sessions.map((x) => x.id).sort()).toEqual([first.sessionId, second.sessionId].sort());
    expect(s.identities).toEqual([expect.objectContaining({ userId: first.user.id, subject: email })]);
    expect(s.actions).toEqual(['user.created', 'sso.login_succeeded', 'user.updated', 'sso.login_succeeded']);
  });

  it('a user suspended between the read and the write is refused, and nothing is written', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `ada@${domain}`;
    const { user } = await signInUser(meta, tenant, connection, profile(email));
    const db = await getDb();
    const spy = await beforeNextWrite(async () => {
      await db.update(users).set({ status: 'suspended', suspendedBy: 'admin' }).where(eq(users.id, user.id));
    });
    const refused = await signInUser(meta, tenant, connection, profile(email, { firstName: 'Augusta' })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LoginRejected);
    expect((refused as LoginRejected).reason).toBe('user_suspended');
    expect(spy.oneStatementWrites()).toBe(1);
    const s = await state(tenant.id);
    expect(s.users[0]).toMatchObject({ firstName: 'Grace', status: 'suspended' });
    expect(s.sessions).toHaveLength(1);
    expect(s.actions).toEqual(['user.created', 'sso.login_succeeded']);
  });

  it('a user changed between the read and the write is signed in on the changed row', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `alan@${domain}`;
    const { user } = await signInUser(meta, tenant, connection, profile(email, { groups: ['Everyone'] }));
    const db = await getDb();
    await beforeNextWrite(async () => {
      await db.update(users).set({ groups: ['Changed'], firstName: 'Changed' }).where(eq(users.id, user.id));
    });
    const out = await signInUser(meta, tenant, connection, profile(email, { firstName: 'Alan' }));
    expect(out).toMatchObject({ created: false, user: { id: user.id, firstName: 'Alan', groups: ['Everyone'] } });
    const s = await state(tenant.id);
    expect(s.users[0]).toMatchObject({ firstName: 'Alan', groups: ['Everyone'] });
    expect(s.sessions).toHaveLength(2);
    // The event compares with the row as the transaction found it, not as first read.
    const [updated] = await db.select().from(auditEvents).where(and(eq(auditEvents.tenantId, tenant.id), eq(auditEvents.action, 'user.updated')));
    expect(updated.details).toMatchObject({ before: { firstName: 'Changed', groups: ['Changed'] }, after: { firstName: 'Alan', groups: ['Everyone'] } });
    expect(s.actions).toEqual(['user.created', 'sso.login_succeeded', 'user.updated', 'sso.login_succeeded']);
  });

  it('a sign-in that changes many groups: the event lists the groups that left and came, not both whole lists', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `grace@${domain}`;
    const many = Array.from({ length: 80 }, (_, i) => `Group ${String(i).padStart(2, '0')} ${'g'.repeat(300)}`);
    await signInUser(meta, tenant, connection, profile(email, { groups: many.slice(0, 79) }));
    await signInUser(meta, tenant, connection, profile(email, { groups: [...many.slice(1, 79), many[79]] }));
    const db = await getDb();
    const [updated] = await db
      .select({ details: auditEvents.details, size: sql<number>`length(${auditEvents.details}::text)` })
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, tenant.id), eq(auditEvents.action, 'user.updated')));
    expect(updated.details).toEqual({
      before: { groups: [many[0]], groupCount: 79 },
      after: { groups: [many[79]], groupCount: 79 },
      groupsListed: 'changes',
      groupsAdded: [many[79]],
      groupsRemoved: [many[0]],
    });
    expect(updated.size).toBeLessThan(2_000);
  });

  it('a first sign-in that loses the race for the email updates the winner, with one user and no error', async () => {
    const { tenant, connection, domain } = await setup();
    const email = `katherine@${domain}`;
    let winner = '';
    await beforeNextWrite(async () => {
      winner = (await signInUser(meta, tenant, connection, profile(email, { subject: 'other-subject', firstName: 'First' }))).user.id;
    });
    const out = await signInUser(meta, tenant, connection, profile(email, { firstName: 'Second' }));
    expect(out).toMatchObject({ created: false, user: { id: winner, firstName: 'Second' } });
    const s = await state(tenant.id);
    expect(s.users).toHaveLength(1);
    expect(s.identities.map((i) => i.subject).sort()).toEqual([email, 'other-subject'].sort());
    expect(s.sessions).toHaveLength(2);
    expect(s.actions).toEqual(['user.created', 'sso.login_succeeded', 'user.updated', 'sso.login_succeeded']);
  });
});
