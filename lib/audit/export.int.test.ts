import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import * as exportRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/export/route';
import * as listRoute from '@/app/api/v1/tenants/[tenantId]/audit-logs/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import { getDb } from '../db/client';
import { auditEvents } from '../db/schema';
import { newId } from '../ids';
import { call, OPERATOR_KEY } from '../testing/api';
import { seedAuditEvents } from '../testing/audit';
import { CSV_COLUMNS, exportStream } from './export';

/** A strict RFC 4180 reader: records of fields, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        const j = text.indexOf('"', i);
        if (j < 0) throw new Error('unterminated quote');
        field += text.slice(i, j);
        if (text[j + 1] === '"') {
          field += '"';
          i = j + 2;
        } else {
          i = j + 1;
          break;
        }
      }
    } else {
      const m = /[,\r\n"]/g;
      m.lastIndex = i;
      const hit = m.exec(text);
      const end = hit ? hit.index : text.length;
      if (hit && hit[0] === '"') throw new Error(`bare quote at ${end}`);
      field = text.slice(i, end);
      i = end;
    }
    row.push(field);
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text.startsWith('\r\n', i)) {
      rows.push(row);
      row = [];
      i += 2;
      if (i >= text.length) return rows;
      continue;
    }
    if (i >= text.length) {
      rows.push(row);
      return rows;
    }
    throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`);
  }
}

async function get(tenantId: string, qs: string) {
  const req = new Request(`http://localhost/api/v1/tenants/${tenantId}/audit-logs/export?${qs}`, {
    headers: { authorization: `Bearer ${OPERATOR_KEY}`, 'user-agent': 'export-test/1.0', 'x-forwarded-for': '192.0.2.44' },
  });
  return exportRoute.GET(req, { params: Promise.resolve({ tenantId }) });
}

const t0 = Date.UTC(2024, 5, 1, 8, 0, 0);
const at = (s: number) => new Date(t0 + s * 1000);

let tenantId: string;
const nasty = {
  actorLabel: 'Eve "the" Hacker, esq.',
  targetLabel: 'line one\r\nid,forged,row\nthird',
  reason: '=HYPERLINK("http://evil.example","click")',
  ip: '+1-555',
  userAgent: '@SUM(A1:A9)',
  targetId: '-2+3',
};

beforeAll(async () => {
  tenantId = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Export Co' } })).body.id;
  await seedAuditEvents(tenantId, [
    { occurredAt: at(1), action: 'sso.login_succeeded', actorType: 'user', actorId: 'usr_1', actorLabel: 'ann@export.example', ip: '203.0.113.1' },
    { occurredAt: at(2), action: 'sso.login_failed', outcome: 'failure', actorType: 'idp', targetType: 'user', ...nasty, details: { note: '<script>alert(1)</script>', n: -1 } },
    { occurredAt: at(3), action: 'user.updated', actorType: 'admin', actorLabel: '\tTabbed', details: { before: { roles: ['a'] }, after: { roles: ['a', 'b'] } } },
  ]);
});

describe('audit log export', () => {
  it('streams CSV oldest first with RFC 4180 quoting and neutralised formulas', async () => {
    const res = await get(tenantId, 'format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="audit-log-export-co[\w-]*\.csv"$/);
    const text = await res.text();
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    const body = rows.slice(1).map((r) => Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, r[i]])));
    expect(rows.slice(1).every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
    // tenant.created was written "now", after the seeded 2024 events; the export itself is not in it.
    expect(body.map((r) => r.action)).toEqual(['sso.login_succeeded', 'sso.login_failed', 'user.updated', 'tenant.created']);
    const bad = body[1];
    expect(bad.actor_label).toBe(nasty.actorLabel);
    expect(bad.target_label).toBe(nasty.targetLabel); // newlines kept inside one quoted field
    expect(bad.reason).toBe(`'${nasty.reason}`);
    expect(bad.ip).toBe(`'${nasty.ip}`);
    expect(bad.user_agent).toBe(`'${nasty.userAgent}`);
    expect(bad.target_id).toBe(`'${nasty.targetId}`);
    expect(bad.outcome).toBe('failure');
    expect(bad.occurred_at).toBe(at(2).toISOString());
    expect(JSON.parse(bad.details)).toEqual({ note: '<script>alert(1)</script>', n: -1 });
    expect(body[2].actor_label).toBe("'\tTabbed");
    expect(body[0]).toMatchObject({ actor_type: 'user', actor_id: 'usr_1', target_type: '', details: '', tenant_id: tenantId });
    // The CR/LF inside the label stays inside its quoted field: no forged record.
    expect(rows).toHaveLength(5);
    expect(rows.slice(1).every((r) => r[0].startsWith('evt_'))).toBe(true);
  });

  it('streams NDJSON oldest first, one API-shaped event per line', async () => {
    const res = await get(tenantId, 'format=ndjson&action=*');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const text = await res.text();
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    // What the list API answers (newest first) reversed, minus this export's own audit.exported
    // event (the earlier CSV export's event is in it: it happened before this export began).
    const listed = (await call(listRoute.GET, { path: `/api/v1/tenants/${tenantId}/audit-logs?limit=200`, params: { tenantId } })).body.data.reverse();
    expect(listed.at(-1)).toMatchObject({ action: 'audit.exported', details: { format: 'ndjson' } });
    expect(lines).toEqual(listed.slice(0, -1));
    expect(lines.at(-1)).toMatchObject({ action: 'audit.exported', details: { format: 'csv', filters: {} } });
    expect(lines[1].target.label).toBe(nasty.targetLabel);
  });

  it('applies the filters and records audit.exported with who, filters and format', async () => {
    const res = await get(tenantId, 'format=ndjson&action=sso.*&outcome=failure&since=2024-06-01');
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((e) => e.action)).toEqual(['sso.login_failed']);
    const db = await getDb();
    const rec = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.tenantId, tenantId), eq(auditEvents.action, 'audit.exported')))
      .orderBy(auditEvents.id);
    expect(rec.length).toBeGreaterThanOrEqual(3);
    expect(rec.at(-1)).toMatchObject({
      actorType: 'operator',
      actorLabel: 'api key: OPERATOR_API_KEY',
      ip: '192.0.2.44',
      userAgent: 'export-test/1.0',
      targetType: 'tenant',
      targetId: tenantId,
      details: { format: 'ndjson', via: 'api', filters: { action: 'sso.*', outcome: 'failure', since: '2024-06-01T00:00:00.000Z' } },
    });
  });

  it('defaults to CSV and refuses an unknown format naming it', async () => {
    const def = await get(tenantId, '');
    expect(def.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    await def.text();
    const bad = await call(exportRoute.GET, { path: `/api/v1/tenants/${tenantId}/audit-logs/export?format=xml`, params: { tenantId } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('format');
  });

  it('streams 5,000 events in batches, oldest first, in both formats', async () => {
    const big = (await call(tenantRoutes.POST, { method: 'POST', body: { name: 'Export Big' } })).body.id;
    const base = Date.UTC(2023, 0, 1);
    await seedAuditEvents(
      big,
      Array.from({ length: 5000 }, (_, i) => ({
        occurredAt: new Date(base + Math.floor(i / 3) * 1000),
        action: i % 10 ? 'sso.login_succeeded' : 'sso.login_failed',
        outcome: (i % 10 ? 'success' : 'failure') as 'success' | 'failure',
        actorType: 'user',
        actorLabel: `user${i}@big.example, "quoted"`,
        details: { i },
      })),
      1000,
    );
    for (const format of ['csv', 'ndjson'] as const) {
      const res = await get(big, `format=${format}&until=2024-01-01`);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let chunks = 0;
      let text = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks++;
        text += dec.decode(value, { stream: true });
      }
      expect(chunks).toBeGreaterThanOrEqual(5); // one chunk per batch of 1,000, not one big body
      let order: number[];
      if (format === 'csv') {
        const rows = parseCsv(text);
        expect(rows).toHaveLength(5001);
        order = rows.slice(1).map((r) => JSON.parse(r[14]).i);
        expect(rows[1][7]).toBe('user0@big.example, "quoted"');
      } else {
        const lines = text.trimEnd().split('\n');
        expect(lines).toHaveLength(5000);
        order = lines.map((l) => JSON.parse(l).details.i);
      }
      expect(order).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    }
  });

  it('stops reading when the download is cancelled', async () => {
    const id = newId('tnt');
    await seedAuditEvents(id, Array.from({ length: 50 }, (_, i) => ({ occurredAt: at(i), action: 'x.y' })));
    const stream = exportStream(id, {}, 'ndjson', { batchSize: 10 });
    const reader = stream.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).trimEnd().split('\n')).toHaveLength(10);
    await reader.cancel();
    expect((await reader.read()).done).toBe(true);
  });
});
