import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '../db/client';
import { newId } from '../ids';
import { acquire, runJob, startScheduler, type Job } from './scheduler';

const job = (over: Partial<Job> = {}): Job => ({ name: newId('job'), everyMs: 60_000, run: async () => ({}), ...over });

describe('scheduler leases', () => {
  it('gives a due job to exactly one of several instances asking at once', async () => {
    const db = await getDb();
    const j = job();
    const got = await Promise.all(Array.from({ length: 8 }, (_, i) => acquire(db, j, `instance-${i}`)));
    expect(got.filter(Boolean)).toHaveLength(1);
  });

  it('runs a job once per interval across instances, and again when forced', async () => {
    let runs = 0;
    const j = job({ run: async () => ({ runs: ++runs }) });
    expect(await runJob(j, { holder: 'a' })).toEqual({ runs: 1 });
    expect(await runJob(j, { holder: 'b' })).toBeNull(); // not due yet
    expect(await runJob(j, { holder: 'b', force: true })).toEqual({ runs: 2 });
  });

  it('lets another instance take over the lease of a runner that died', async () => {
    const db = await getDb();
    const j = job({ leaseMs: 60_000 });
    expect(await acquire(db, j, 'crashed')).toBe(true);
    expect(await acquire(db, j, 'other', true)).toBe(false); // still held
    await db.execute(sql`update job_leases set lease_until = now() - interval '1 second' where name = ${j.name}`);
    expect(await acquire(db, j, 'other')).toBe(true);
  });

  it('renews the lease while a run outlasts it, and frees it when the run ends', async () => {
    const db = await getDb();
    let taken: boolean | undefined;
    const j = job({
      leaseMs: 300,
      run: async () => {
        await new Promise((r) => setTimeout(r, 900)); // three lease lengths
        taken = await acquire(db, j, 'other', true);
        return {};
      },
    });
    expect(await runJob(j, { holder: 'runner' })).toEqual({});
    expect(taken).toBe(false); // still held by the runner at the end of its run
    expect(await acquire(db, j, 'other', true)).toBe(true);
  });

  it('records a failure and frees the lease for the next attempt', async () => {
    const db = await getDb();
    const j = job({ run: async () => { throw new Error('receiver down'); } });
    await expect(runJob(j, { holder: 'a' })).rejects.toThrow('receiver down');
    const rows = (await db.execute<{ last_error: string }>(sql`select last_error from job_leases where name = ${j.name}`)) as unknown as { rows: { last_error: string }[] };
    expect(rows.rows[0].last_error).toBe('receiver down');
    expect(await runJob({ ...j, run: async () => ({ ok: true }) }, { holder: 'b', force: true })).toEqual({ ok: true });
  });

  it('gives back at shutdown a lease whose release failed (the database went at that moment), and only its own', async () => {
    const db = await getDb();
    const mine = job({ leaseMs: 60_000 });
    const theirs = job({ leaseMs: 60_000 });
    expect(await acquire(db, mine)).toBe(true); // held by this instance, as after a run whose release failed
    expect(await acquire(db, theirs, 'another-instance')).toBe(true);
    await startScheduler([]).stop();
    expect(await acquire(db, mine, 'another-instance')).toBe(true);
    expect(await acquire(db, theirs, 'a-third-instance', true)).toBe(false); // still held by its runner
  });
});
