import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from './client';
import { inList } from './lists';

describe('inList', () => {
  it('matches a list of any length, sent as one parameter; odd characters stay inside their value', async () => {
    const db = await getDb();
    const odd = ['a,b', '{c}', 'd"e', 'f\\g', ' h ', 'NULL', '', '\\"', '}', 'é😀'];
    const many = Array.from({ length: 70_000 }, (_, i) => `v${i}`);
    const values = sql`(values ('a,b'), ('{c}'), ('d"e'), ('f\\g'), (' h '), ('NULL'), (''), ('\\"'), ('}'), ('é😀'), ('a'), ('v69999')) as t(x)`;
    const hits = async (list: string[]) =>
      ((await db.execute(sql`select x from ${values} where ${inList(sql`x`, list)} order by x`)) as unknown as { rows: { x: string }[] }).rows.map((r) => r.x).sort();
    expect(await hits(odd)).toEqual([...odd].sort());
    expect(await hits(many)).toEqual(['v69999']);
    expect(await hits([])).toEqual([]);
  });
});
