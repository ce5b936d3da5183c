import { z } from 'zod';
import { limitSchema } from './common';

/**
 * Audit log queries (`GET …/audit-logs`, its export and the console pages).
 *
 * - `action`: exact, or a prefix ending in `*` (`sso.*`, `user.*`; `*` alone is every action).
 * - `since` is inclusive, `until` exclusive; both ISO 8601 (`2025-01-31`, `2025-01-31T12:00`,
 *   `2025-01-31T12:00:00.123Z`, `…+02:00`). A time without an offset is UTC.
 * - `q`: case-insensitive substring of the actor label, target label or id, action, reason or IP.
 */

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Parses an ISO 8601 date or date-time; a date-time without an offset is read as UTC. */
export function parseIsoInstant(s: string): Date | null {
  // An unencoded "+02:00" in a query string arrives as " 02:00": read it as the offset it was.
  const v = s.trim().replace(/^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?) (\d{2}:?\d{2})$/i, '$1+$2');
  if (!ISO.test(v)) return null;
  let norm = v.replace(' ', 'T');
  if (norm.length === 10) norm += 'T00:00:00Z';
  else if (!/(?:Z|[+-]\d{2}:?\d{2})$/i.test(norm)) norm += 'Z';
  const ms = Date.parse(norm);
  if (Number.isNaN(ms)) return null;
  const d = new Date(ms);
  // Date.parse rolls 2025-02-31 over to March; refuse dates that do not exist.
  const [y, m, day] = v.slice(0, 10).split('-').map(Number);
  const check = new Date(Date.UTC(y, m - 1, day));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) return null;
  if (d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) return null;
  return d;
}

const instant = z
  .string({ error: 'must be a string' })
  .max(40, 'must be an ISO 8601 date or date-time')
  .transform((s, ctx) => {
    const d = parseIsoInstant(s);
    if (!d) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date or date-time, e.g. 2025-01-31T12:00:00Z' });
      return z.NEVER;
    }
    return d;
  })
  .meta({ format: 'date-time' });

const text = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .max(max, `must be at most ${max} characters`)
    .transform((s) => s.trim())
    .optional()
    .transform((s) => (s ? s : undefined));

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;

/** The filters shared by the list, the export and the console pages. */
export const auditFilterShape = {
  action: text(100).refine((a) => a === undefined || !a.slice(0, -1).includes('*'), {
    message: 'use an exact action or a prefix ending in * (e.g. sso.*)',
  }),
  actorId: text(200),
  targetId: text(200),
  outcome: z.enum(AUDIT_OUTCOMES, { error: 'must be success or failure' }).optional(),
  since: instant.optional(),
  until: instant.optional(),
  q: text(200),
};

const untilAfterSince = (v: { since?: Date; until?: Date }, ctx: z.RefinementCtx) => {
  if (v.since && v.until && v.until.getTime() <= v.since.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
  }
};

export const auditFilterSchema = z.object(auditFilterShape).superRefine(untilAfterSince);
export type AuditFilter = z.output<typeof auditFilterSchema>;

export const auditListQuerySchema = z
  .object({
    ...auditFilterShape,
    limit: limitSchema,
    cursor: z.string().max(300).optional(),
  })
  .superRefine(untilAfterSince);
export type AuditListQuery = z.output<typeof auditListQuerySchema>;

/** The operator's log (every tenant's events and the operator-wide ones): the same, and `tenantId` to narrow it to one tenant. */
export const operatorAuditListQuerySchema = z
  .object({
    ...auditFilterShape,
    tenantId: text(200),
    limit: limitSchema,
    cursor: z.string().max(300).optional(),
  })
  .superRefine(untilAfterSince);

export const AUDIT_EXPORT_FORMATS = ['csv', 'ndjson'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export const auditExportQuerySchema = z
  .object({
    ...auditFilterShape,
    format: z.enum(AUDIT_EXPORT_FORMATS, { error: 'must be csv or ndjson' }).default('csv'),
  })
  .superRefine(untilAfterSince);
export type AuditExportQuery = z.output<typeof auditExportQuerySchema>;

export const auditEventSchema = z.object({
  id: z.string(),
  occurredAt: z.string().meta({ format: 'date-time' }),
  tenantId: z.string().nullable(),
  action: z.string(),
  outcome: z.enum(AUDIT_OUTCOMES),
  actor: z.object({
    type: z.enum(['operator', 'admin', 'user', 'idp', 'directory', 'system']),
    id: z.string().optional(),
    label: z.string().optional(),
  }),
  target: z.object({ type: z.string(), id: z.string(), label: z.string().optional() }).optional(),
  ip: z.string().optional(),
  userAgent: z.string().optional(),
  reason: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type AuditEventView = z.output<typeof auditEventSchema>;

export const auditVerifySchema = z.object({
  intact: z.boolean(),
  checked: z.number().int(),
  firstBrokenId: z.string().nullable(),
  reason: z.string().optional(),
});

/** The filters as they were given (for `audit.exported` details and for links). */
export function filterToParams(f: Partial<AuditFilter>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === null || v === '') continue;
    if (!(k in auditFilterShape)) continue;
    out[k] = v instanceof Date ? v.toISOString() : String(v);
  }
  return out;
}
