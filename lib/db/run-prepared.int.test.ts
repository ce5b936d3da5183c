import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newId } from '../ids';
import { dbHandle, getDb } from './client';

// DbHandle.runPrepared (lib/db/client.ts): a hot write statement, prepared once per connection.
// On PGlite it speaks the wire protocol itself, so these check what query() would have done.

const TABLE = 'run_prepared_probe';
const INSERT = `insert into ${TABLE} (id, label, n, flag, at, doc, tags) values ($1, $2, $3, $4, $5, $6::jsonb, $7)`;

async function table() {
  const h = await dbHandle();
  await h.query(`create table if not exists ${TABLE} (id text primary key, label text not null, n integer, flag boolean, at timestamptz, doc jsonb, tags text[])`);
  return h;
}

describe('runPrepared', () => {
  it('stores every kind of parameter as query() would, and the same text again and again', async () => {
    const h = await table();
    const at = new Date('2026-01-02T03:04:05.678Z');
    const ids = [newId('rp'), newId('rp'), newId('rp')];
    await h.runPrepared(INSERT, [ids[0], "it's \\ 'quoted'", 42, true, at, { a: [1, 'x'], b: null }, '{"one","two, three"}']);
    await h.runPrepared(INSERT, [ids[1], 'second', null, false, null, null, null]);
    await h.runPrepared(INSERT, [ids[2], 'ü ✓ \n tab\t', -7, true, at.toISOString(), JSON.stringify({ s: 'str' }), '{}']);
    const rows = await h.query<Record<string, unknown>>(`select * from ${TABLE} where id = any($1) order by label`, [ids]);
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    expect(byId[ids[0]]).toMatchObject({ label: "it's \\ 'quoted'", n: 42, flag: true, doc: { a: [1, 'x'], b: null }, tags: ['one', 'two, three'] });
    expect(new Date(byId[ids[0]].at as string).toISOString()).toBe(at.toISOString());
    expect(byId[ids[1]]).toMatchObject({ label: 'second', n: null, flag: false, at: null, doc: null, tags: null });
    expect(byId[ids[2]]).toMatchObject({ label: 'ü ✓ \n tab\t', n: -7, doc: { s: 'str' }, tags: [] });
    await expect(h.runPrepared(INSERT, [newId('rp'), 'x', 1, true, null, null, ['a']])).rejects.toThrow(/array literals/);
  });

  it('concurrent first uses of one text all succeed; errors carry code, constraint and column', async () => {
    const h = await table();
    const text = `${INSERT} -- concurrent ${newId('t')}`;
    const ids = Array.from({ length: 20 }, () => newId('rp'));
    await Promise.all(ids.map((id, i) => h.runPrepared(text, [id, `c${i}`, i, true, null, null, null])));
    const [{ n }] = await h.query<{ n: number }>(`select count(*)::int as n from ${TABLE} where id = any($1)`, [ids]);
    expect(n).toBe(20);
    await expect(h.runPrepared(text, [ids[0], 'dup', 0, true, null, null, null])).rejects.toMatchObject({ code: '23505', constraint: `${TABLE}_pkey` });
    await expect(h.runPrepared(text, [newId('rp'), null, 0, true, null, null, null])).rejects.toMatchObject({ code: '23502', column: 'label' });
    // still usable after errors
    await h.runPrepared(text, [newId('rp'), 'after', 0, true, null, null, null]);
    await expect(h.runPrepared('insert into no_such_table values ($1)', ['x'])).rejects.toMatchObject({ code: '42P01' });
  });

  it('never runs inside another request’s open transaction', async () => {
    const h = await table();
    const db = await getDb();
    const inTx = newId('rp');
    const outside = newId('rp');
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const begun = new Promise<void>((r) => (started = r));
    const tx = db
      .transaction(async (t) => {
        await t.execute(sql`insert into run_prepared_probe (id, label) values (${inTx}, 'in tx')`);
        started();
        await held;
        throw new Error('roll back');
      })
      .catch(() => 'rolled back');
    await begun;
    const write = h.runPrepared(INSERT, [outside, 'outside', 1, true, null, null, null]);
    await new Promise((r) => setTimeout(r, 50));
    release();
    expect(await tx).toBe('rolled back');
    await write;
    const rows = await h.query<{ id: string }>(`select id from ${TABLE} where id = any($1)`, [[inTx, outside]]);
    expect(rows.map((r) => r.id)).toEqual([outside]);
  });
});
