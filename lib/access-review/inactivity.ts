import 'server-only';
import { and, asc, eq, isNotNull, ne, sql } from 'drizzle-orm';
import { changes, record, recordMany } from '../audit/record';
import type { Ctx } from '../audit/types';
import { ceilingOf, scopesBeyond } from '../auth/permissions';
import { suspendLocked } from '../dal/users';
import { getDb } from '../db/client';
import { tenants, users } from '../db/schema';
import { notFound } from '../errors';
import { inactivityCutoff, lastActivity } from './dates';
import type { InactivityPolicy } from './validation';

/**
 * The inactivity policy: a tenant may have users suspended automatically when they have not
 * signed in through SSO for N days (never signed in: N days after they were created).
 *
 * - Users owned by a SCIM directory (`source: scim`) are left out: the directory owns their
 *   lifecycle (it deactivates them) and they may legitimately never sign in through the portal.
 * - Set by an admin holding only some console sections, it leaves out the users whose roles open
 *   sections they lack: nobody suspends an admin above them, through a policy either.
 * - The suspension is `suspendedBy: 'policy'`: sessions end at once, `user.suspended` with reason
 *   `inactive` and actor `system`. Only an admin lifts it (a later SCIM `active: true` lifts SCIM's
 *   own suspensions only — lib/scim/portal.ts), and a suspended user's sign-in is refused.
 */

const POLICY_ACTOR: Ctx = { actor: { type: 'system', id: null, label: 'inactivity policy' } };

export async function getInactivityPolicy(tenantId: string): Promise<InactivityPolicy> {
  const db = await getDb();
  const [t] = await db.select({ inactivityDays: tenants.inactivityDays }).from(tenants).where(eq(tenants.id, tenantId));
  if (!t) throw notFound('Tenant');
  return { inactivityDays: t.inactivityDays };
}

/** Sets or turns off (null) the policy; records `inactivity_policy.updated` with before/after. */
export async function setInactivityPolicy(ctx: Ctx, tenantId: string, input: InactivityPolicy): Promise<InactivityPolicy> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!before) throw notFound('Tenant');
    // Whoever sets the policy suspends through it: never users above them (see suspendInactiveUsers).
    await tx.update(tenants).set({ inactivityDays: input.inactivityDays, inactivityCeiling: ceilingOf(ctx), updatedAt: new Date() }).where(eq(tenants.id, tenantId));
    const diff = changes({ inactivityDays: before.inactivityDays }, { inactivityDays: input.inactivityDays });
    if (diff) {
      await record(tx, ctx, {
        tenantId,
        action: 'inactivity_policy.updated',
        target: { type: 'tenant', id: tenantId, label: before.name },
        details: diff,
      });
    }
    return { inactivityDays: input.inactivityDays };
  });
}

export type InactivityRun = { tenants: number; suspended: number; more: boolean };

/**
 * One run of the inactivity job: for every tenant with the policy on, suspends active non-SCIM
 * users whose last activity is older than the tenant's N days, `batchSize` users per transaction
 * (with their events), at most `maxBatches` transactions per run (the rest waits for the next run:
 * `more`). Rows being changed right now (a sign-in) are skipped and looked at next time.
 */
export async function suspendInactiveUsers(opts: { now?: Date; batchSize?: number; maxBatches?: number; tenantId?: string } = {}): Promise<InactivityRun> {
  const db = await getDb();
  const batchSize = opts.batchSize ?? 200;
  let budget = opts.maxBatches ?? 25;
  const conds = [isNotNull(tenants.inactivityDays)];
  if (opts.tenantId) conds.push(eq(tenants.id, opts.tenantId));
  const list = await db.select({ id: tenants.id, days: tenants.inactivityDays }).from(tenants).where(and(...conds)).orderBy(asc(tenants.id));
  let suspended = 0;
  for (const t of list) {
    for (;;) {
      if (budget <= 0) return { tenants: list.length, suspended, more: true };
      budget--;
      const n = await db.transaction(async (tx) => {
        // The policy as it is now (it may have been turned off since the list was read).
        const [cur] = await tx
          .select({ days: tenants.inactivityDays, ceiling: tenants.inactivityCeiling, access: tenants.consoleAccess })
          .from(tenants)
          .where(eq(tenants.id, t.id));
        if (!cur?.days) return 0;
        const days = cur.days;
        // Set by a narrower admin: not the users whose roles open sections that admin lacks.
        const above = Object.keys(cur.access ?? {}).filter((role) => scopesBeyond(cur.access ?? {}, role, cur.ceiling ?? undefined).length);
        const cutoff = inactivityCutoff(opts.now ?? new Date(), days);
        const locked = await tx
          .select()
          .from(users)
          .where(
            and(
              eq(users.tenantId, t.id),
              eq(users.status, 'active'),
              ne(users.source, 'scim'),
              sql`coalesce(${users.lastLoginAt}, ${users.createdAt}) < ${cutoff.toISOString()}::timestamptz`,
              above.length ? sql`not (${users.roles} && array(select jsonb_array_elements_text(${JSON.stringify(above)}::jsonb)))` : undefined,
            ),
          )
          .orderBy(asc(users.id))
          .limit(batchSize)
          .for('update', { skipLocked: true });
        const { events } = await suspendLocked(tx, t.id, locked, {
          by: 'policy',
          reason: 'inactive',
          details: (u) => ({ inactivityDays: days, lastActivityAt: lastActivity(u).toISOString(), neverSignedIn: u.lastLoginAt === null }),
        });
        await recordMany(tx, POLICY_ACTOR, events);
        return locked.length;
      });
      suspended += n;
      if (n < batchSize) break;
    }
  }
  return { tenants: list.length, suspended, more: false };
}
