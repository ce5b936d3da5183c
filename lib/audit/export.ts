import { getDb } from '../db/client';
import { log } from '../log';
import { filterToParams, type AuditExportFormat, type AuditFilter } from '../validation/audit';
import { auditBatches, positionOf, type AuditExportRow, type Position } from './query';
import { record } from './record';
import type { Ctx } from './types';

/**
 * Streamed exports of a tenant's audit log, oldest first: CSV (RFC 4180) or NDJSON. Rows are read
 * in keyset batches, one batch ahead of the reader at most, so memory stays flat whatever the size.
 */

export const CSV_COLUMNS = [
  'id',
  'occurred_at',
  'tenant_id',
  'action',
  'outcome',
  'actor_type',
  'actor_id',
  'actor_label',
  'target_type',
  'target_id',
  'target_label',
  'ip',
  'user_agent',
  'reason',
  'details',
] as const;

/** Quoted: the separators (`;` too: spreadsheets in many locales split on it, and could run what follows), quotes and line ends. */
const NEEDS_QUOTES = /[",;\r\n]/;
/** Cells a spreadsheet would run as a formula (OWASP CSV injection: = + - @ tab CR), some after leading spaces. */
const FORMULA_START = /^[ \u00a0]*[=+\-@\t\r]/;
/**
 * The same after a place where a spreadsheet may split inside the quotes: one set to a semicolon
 * list separator (many locales) counts a quote only at a field's start, so it splits at every `;`,
 * and a line break there starts a new row; some split on tabs. Spaces between are allowed.
 */
const FORMULA_AFTER_SPLIT = /([;\t\r\n][ \u00a0]*)(?=[=+\-@\t\r])/g;

/** One CSV cell: formula-looking text (at its start or after a split) is prefixed with ', then quoted when it must be. */
export function csvCell(value: string | null | undefined): string {
  if (value == null || value === '') return '';
  let v = value.replace(FORMULA_AFTER_SPLIT, "$1'");
  if (FORMULA_START.test(v)) v = `'${v}`;
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export const csvHeader = () => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvLine(r: AuditExportRow): string {
  return (
    [
      r.id,
      r.occurredAt,
      r.tenantId,
      r.action,
      r.outcome,
      r.actorType,
      r.actorId,
      r.actorLabel,
      r.targetType,
      r.targetId,
      r.targetLabel,
      r.ip,
      r.userAgent,
      r.reason,
      r.details,
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}

/**
 * One NDJSON line: the API's event shape (as toAuditView makes it, details last, taken as the
 * database's JSON text). JSON escapes CR/LF inside strings, so a value cannot start a line.
 */
export function ndjsonLine(r: AuditExportRow): string {
  const v: Record<string, unknown> = { id: r.id, occurredAt: r.occurredAt, tenantId: r.tenantId, action: r.action, outcome: r.outcome };
  const actor: Record<string, string> = { type: r.actorType };
  if (r.actorId != null) actor.id = r.actorId;
  if (r.actorLabel != null) actor.label = r.actorLabel;
  v.actor = actor;
  if (r.targetType != null && r.targetId != null) {
    v.target = r.targetLabel != null ? { type: r.targetType, id: r.targetId, label: r.targetLabel } : { type: r.targetType, id: r.targetId };
  }
  if (r.ip != null) v.ip = r.ip;
  if (r.userAgent != null) v.userAgent = r.userAgent;
  if (r.reason != null) v.reason = r.reason;
  const json = JSON.stringify(v);
  return r.details == null ? `${json}\n` : `${json.slice(0, -1)},"details":${r.details}}\n`;
}

export const EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * The export as a byte stream. Each pull reads the next batch; a cancelled download stops the
 * reads. A database error midway errors the stream (the client sees a cut-off transfer).
 */
export function exportStream(
  tenantId: string,
  filter: Partial<AuditFilter>,
  format: AuditExportFormat,
  opts: { batchSize?: number; upTo?: Position | null } = {},
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  const signal = { aborted: false };
  let batches: AsyncGenerator<AuditExportRow[]> | null = null;
  const line = format === 'csv' ? csvLine : ndjsonLine;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (format === 'csv') controller.enqueue(enc.encode(csvHeader()));
      },
      async pull(controller) {
        try {
          batches ??= auditBatches(tenantId, filter, { batchSize: opts.batchSize, upTo: opts.upTo, signal });
          const next = await batches.next();
          if (next.done) {
            controller.close();
            return;
          }
          let out = '';
          for (const r of next.value) out += line(r);
          controller.enqueue(enc.encode(out));
        } catch (err) {
          log('error', 'audit export failed midway', { tenantId, err });
          controller.error(err);
        }
      },
      async cancel() {
        signal.aborted = true;
        await batches?.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

export type StartedExport = { stream: ReadableStream<Uint8Array>; contentType: string; filename: string; eventId: string };

/**
 * Starts an export: records `audit.exported` (who, which filters, which format) in the tenant's
 * log in its own transaction first — so an export that fails or is cancelled midway is still on
 * record as started — then streams every matching event that happened before that record.
 */
export async function startAuditExport(
  ctx: Ctx,
  tenant: { id: string; slug?: string; name?: string },
  filter: Partial<AuditFilter>,
  format: AuditExportFormat,
  opts: { batchSize?: number; via?: 'api' | 'console' } = {},
): Promise<StartedExport> {
  const db = await getDb();
  const filters = filterToParams(filter);
  const eventId = await db.transaction((tx) =>
    record(tx, ctx, {
      tenantId: tenant.id,
      action: 'audit.exported',
      target: { type: 'tenant', id: tenant.id, label: tenant.name ?? null },
      details: { format, filters, ...(opts.via ? { via: opts.via } : {}) },
    }),
  );
  // The export covers what happened before it started (its own event excluded): a fixed end, so
  // events written meanwhile cannot keep it running.
  const upTo = await positionOf(eventId);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    stream: exportStream(tenant.id, filter, format, { batchSize: opts.batchSize, upTo }),
    contentType: EXPORT_CONTENT_TYPES[format],
    filename: `audit-log-${(tenant.slug ?? tenant.id).replace(/[^a-zA-Z0-9_-]/g, '')}-${stamp}.${format}`,
    eventId,
  };
}

/** The HTTP answer for a started export. */
export function exportResponse(e: StartedExport): Response {
  return new Response(e.stream, {
    status: 200,
    headers: {
      'content-type': e.contentType,
      'content-disposition': `attachment; filename="${e.filename}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
}
