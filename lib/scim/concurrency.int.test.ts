import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import { getDb } from '@/lib/db/client';
import { verifyChain, type LinkedEvent } from '@/lib/audit/chain';
import { sequence } from '@/lib/audit/sequencer';
import { auditEvents, scimGroupMembers, scimUsers, users } from '@/lib/db/schema';
import { call, uniqueDomain } from '@/lib/testing/api';
import { makeDirectory, oktaUser, patch, scimCall, type ScimAnswer } from '@/lib/testing/scim';

async function tenant(label: string) {
  const domain = uniqueDomain(label);
  const res = await call(tenantRoutes.POST, { method: 'POST', body: { name: `${label} ${domain}`, domains: [domain] } });
  return { id: res.body.id as string, domain };
}

const shuffle = <T,>(list: T[]) => {
  const a = [...list];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
};

describe('SCIM under concurrency', () => {
  it('50 parallel creates, then 50 parallel PATCHes, across three directories of two tenants: every user once, in its own directory, final state right', async () => {
    const t1 = await tenant('conc-a');
    const t2 = await tenant('conc-b');
    const A = await makeDirectory(t1.id, 'A');
    const B = await makeDirectory(t1.id, 'B');
    const C = await makeDirectory(t2.id, 'C');
    const dirs = [A, B, C];
    const domainOf = (d: typeof A) => (d === C ? t2.domain : t1.domain);

    // Groups first (one per directory), so PATCHes can add members.
    const groups = await Promise.all(dirs.map(async (d) => (await scimCall(d, 'POST', '/Groups', { displayName: 'Everyone' })).body.id as string));
    const groups2 = await Promise.all(dirs.map(async (d) => (await scimCall(d, 'POST', '/Groups', { displayName: 'Night shift' })).body.id as string));

    // 50 creates: 16 per directory plus 2 duplicates (same userName, other case) racing their originals.
    // A and B push the same people (same emails): one portal user per email in tenant 1.
    const creates: { dir: typeof A; userName: string; dup: boolean }[] = [];
    for (let i = 0; i < 16; i++) for (const d of dirs) creates.push({ dir: d, userName: `user${i}@${domainOf(d)}`, dup: false });
    creates.push({ dir: A, userName: `USER3@${t1.domain}`, dup: true }, { dir: C, userName: `User5@${t2.domain}`, dup: true });
    expect(creates).toHaveLength(50);
    const created = await Promise.all(shuffle(creates).map(async (c) => ({ ...c, res: await scimCall(c.dir, 'POST', '/Users', oktaUser(c.userName)) })));
    for (const c of created) expect([201, 409], `${c.userName}: ${JSON.stringify(c.res.body)}`).toContain(c.res.status);
    const byDirAndName = new Map<string, ScimAnswer>();
    for (const c of created) {
      const key = `${c.dir.id}|${c.userName.toLowerCase()}`;
      if (c.res.status === 201) {
        expect(byDirAndName.has(key), `${key} created twice`).toBe(false);
        byDirAndName.set(key, c.res);
      }
    }
    expect(byDirAndName.size).toBe(48);
    expect(created.filter((c) => c.res.status === 409)).toHaveLength(2);
    const idOf = (d: typeof A, i: number) => byDirAndName.get(`${d.id}|user${i}@${domainOf(d)}`)!.body.id as string;

    // 50 PATCHes at once: per directory, users 0–7 join Everyone (one PATCH each), users 0–3 join
    // Night shift (one PATCH each, racing the first), users 8–11 are deactivated; plus two renames.
    const patches: { dir: typeof A; path: string; body: unknown }[] = [];
    for (const [k, d] of dirs.entries()) {
      for (let i = 0; i < 8; i++) patches.push({ dir: d, path: `/Groups/${groups[k]}`, body: patch({ op: 'Add', path: 'members', value: [{ value: idOf(d, i) }] }) });
      for (let i = 0; i < 4; i++) patches.push({ dir: d, path: `/Groups/${groups2[k]}`, body: patch({ op: 'add', path: 'members', value: [{ value: idOf(d, i) }] }) });
      for (let i = 8; i < 12; i++) patches.push({ dir: d, path: `/Users/${idOf(d, i)}`, body: patch({ op: 'replace', value: { active: false } }) });
    }
    patches.push({
      dir: A,
      path: `/Users/${idOf(A, 15)}`,
      body: patch({ op: 'replace', path: 'userName', value: `renamed15@${t1.domain}` }, { op: 'replace', path: 'emails[type eq "work"].value', value: `renamed15@${t1.domain}` }),
    });
    patches.push({
      dir: C,
      path: `/Users/${idOf(C, 15)}`,
      body: patch({ op: 'replace', path: 'userName', value: `renamed15@${t2.domain}` }, { op: 'replace', path: 'emails[type eq "work"].value', value: `renamed15@${t2.domain}` }),
    });
    expect(patches).toHaveLength(50);
    const patched = await Promise.all(shuffle(patches).map(async (p) => ({ ...p, res: await scimCall(p.dir, 'PATCH', p.path, p.body) })));
    for (const p of patched) expect([200, 204], `${p.path}: ${JSON.stringify(p.res.body)}`).toContain(p.res.status);

    // Final state, straight from the tables.
    const db = await getDb();
    for (const d of dirs) {
      const rows = await db.select().from(scimUsers).where(eq(scimUsers.directoryId, d.id));
      const names = rows.map((r) => r.userName.toLowerCase()).sort();
      const expected = Array.from({ length: 16 }, (_, i) => (i === 15 && d !== B ? `renamed15@${domainOf(d)}` : `user${i}@${domainOf(d)}`)).sort();
      expect(names).toEqual(expected);
      expect(new Set(rows.map((r) => r.tenantId))).toEqual(new Set([d === C ? t2.id : t1.id]));
      const inactive = rows.filter((r) => !r.active).map((r) => r.userName).sort();
      expect(inactive).toEqual([8, 9, 10, 11].map((i) => `user${i}@${domainOf(d)}`).sort());
      const members = await db.select().from(scimGroupMembers).where(eq(scimGroupMembers.directoryId, d.id));
      expect(members).toHaveLength(12);
      expect(new Set(members.map((m) => m.userId)).size).toBe(8);
      // members only ever point at users of their own directory
      const ids = new Set(rows.map((r) => r.id));
      expect(members.every((m) => ids.has(m.userId))).toBe(true);
    }

    // Portal users: one per email per tenant; groups are the union over the tenant's directories.
    const p1 = await db.select().from(users).where(eq(users.tenantId, t1.id));
    const p2 = await db.select().from(users).where(eq(users.tenantId, t2.id));
    expect(p1.map((u) => u.email).sort()).toEqual(
      [...Array.from({ length: 16 }, (_, i) => `user${i}@${t1.domain}`), `renamed15@${t1.domain}`].sort(),
    );
    expect(p2.map((u) => u.email).sort()).toEqual(
      [...Array.from({ length: 15 }, (_, i) => `user${i}@${t2.domain}`), `renamed15@${t2.domain}`].sort(),
    );
    expect(p1.every((u) => u.email.endsWith(t1.domain)) && p2.every((u) => u.email.endsWith(t2.domain))).toBe(true);
    for (const [list, domain] of [[p1, t1.domain], [p2, t2.domain]] as const) {
      for (let i = 0; i < 12; i++) {
        const u = list.find((x) => x.email === `user${i}@${domain}`)!;
        const want = i < 4 ? ['Everyone', 'Night shift'] : i < 8 ? ['Everyone'] : [];
        expect(u.groups, u.email).toEqual(want);
        expect(u.status, u.email).toBe(i >= 8 ? 'suspended' : 'active');
        expect(u.source).toBe('scim');
      }
    }

    // Audit: one user.created per portal user, in the right tenant.
    const events = await db.select().from(auditEvents).where(inArray(auditEvents.tenantId, [t1.id, t2.id]));
    const createdEvents = events.filter((e) => e.action === 'user.created');
    // tenant 1: 16 people plus the renamed one of A, who left B's user15 behind as its own portal user
    expect(createdEvents.filter((e) => e.tenantId === t1.id)).toHaveLength(17);
    expect(createdEvents.filter((e) => e.tenantId === t2.id)).toHaveLength(16);
    // each tenant's hash chain is unbroken after all those concurrent writers
    for (const t of [t1, t2]) {
      await sequence(db, t.id);
      const chain = await db.select().from(auditEvents).where(eq(auditEvents.chainKey, t.id)).orderBy(auditEvents.seq);
      expect(verifyChain(chain as LinkedEvent[])).toMatchObject({ intact: true });
    }
    const emailsOfT2 = new Set(p2.map((u) => u.id));
    expect(events.filter((e) => e.tenantId === t2.id && e.targetType === 'user').every((e) => emailsOfT2.has(e.targetId!))).toBe(true);
  });
});
