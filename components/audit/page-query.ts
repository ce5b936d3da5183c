import { zodErrors } from '@/lib/api/endpoint';
import { auditListQuerySchema, filterToParams, type AuditListQuery } from '@/lib/validation/audit';
import type { FilterValues } from './audit-filters';

export type SearchParams = Record<string, string | string[] | undefined>;

const FIELDS = ['action', 'actorId', 'targetId', 'outcome', 'since', 'until', 'q', 'tenantId', 'cursor'] as const;

/**
 * The audit query of a console page from its URL. Bad values are reported (and the list not
 * shown) rather than silently dropped, so a filtered view never pretends to be unfiltered.
 */
export function auditPageQuery(sp: SearchParams, pageSize = 50) {
  const raw: Record<string, string> = {};
  for (const k of FIELDS) {
    const v = sp[k];
    const s = Array.isArray(v) ? v[0] : v;
    if (s !== undefined && s !== '') raw[k] = s;
  }
  const { tenantId, ...rest } = raw;
  const parsed = auditListQuerySchema.safeParse({ ...rest, limit: pageSize });
  const values: FilterValues = { ...raw };
  if (!parsed.success) return { ok: false as const, errors: zodErrors(parsed.error), values, tenantId };
  const q: AuditListQuery = parsed.data;
  // Normalised times (UTC) for the form and for links.
  if (q.since) values.since = q.since.toISOString();
  if (q.until) values.until = q.until.toISOString();
  return { ok: true as const, query: q, filters: filterToParams(q), values, tenantId };
}

export const qs = (params: Record<string, string | undefined>) => {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
};
