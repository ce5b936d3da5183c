import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { getDb } from '../db/client';
import { newId } from '../ids';
import { seedAuditEvents } from '../testing/audit';
import { filterConditions, listAuditEvents } from './query';
import { PgDialect } from 'drizzle-orm/pg-core';

describe('audit free-text search (q)', () => {
  it('matches any searched column, case-insensitively, never across two columns, with LIKE characters taken literally', async () => {
    const tenantId = newId('tnt');
    await seedAuditEvents(tenantId, [
      { actorLabel: 'Alice@Acme.example', action: 'sso.login_succeeded' },
      { targetLabel: 'Bob Builder', targetType: 'user', targetId: 'usr_bob' },
      { reason: 'signature_invalid', action: 'sso.login_failed' },
      { ip: '203.0.113.7' },
      { actorLabel: 'carol', targetLabel: 'dave', targetType: 'user', targetId: 'usr_dave' },
      { actorLabel: '100%_sure' },
    ]);
    const q = async (text: string) => (await listAuditEvents({ tenantId }, { limit: 50, q: text })).data.length;
    expect(await q('alice@ACME')).toBe(1);
    expect(await q('builder')).toBe(1);
    expect(await q('usr_bob')).toBe(1);
    expect(await q('SIGNATURE')).toBe(1);
    expect(await q('113.7')).toBe(1);
    expect(await q('login_')).toBe(2);
    expect(await q('caroldave')).toBe(0);
    expect(await q('carol\x1fdave')).toBe(0); // the separator itself: the per-column form answers
    expect(await q('0%_s')).toBe(1);
    expect(await q('0%x')).toBe(0);
  });

  it('is answered from the trigram index (audit_events_search_trgm_idx)', async () => {
    const db = await getDb();
    const cond = filterConditions({ q: 'needle' })[0];
    const { sql: where, params } = new PgDialect().sqlToQuery(cond);
    const text = where.replace(/\$1/, `'${String(params[0])}'`);
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      const r = await tx.execute(sql.raw(`explain select id from audit_events where ${text}`));
      return (r as unknown as { rows: Record<string, string>[] }).rows.map((row) => Object.values(row)[0]).join('\n');
    });
    expect(plan).toContain('audit_events_search_trgm_idx');
  });
});
