/**
 * Budgets for SCIM work whose size the client controls (pure, no I/O). A request over one is
 * refused with a SCIM error before anything is read or written: filters and attribute lists
 * (400 `invalidFilter`), PATCH messages (400 `invalidValue`), and lists whose filter has no SQL
 * translation over a directory too large to match in memory (400 `tooMany`, RFC 7644 §3.12).
 * Role-mapping evaluation has its own budget (lib/provisioning/mapping.ts).
 */
import { isObject } from './normalise';

/** Longest `filter` (and `attributes` / `excludedAttributes` list), in characters. */
export const MAX_FILTER_LENGTH = 2000;
/** Most comparisons (`eq`, `co`, `pr`, …) in one filter. */
export const MAX_FILTER_COMPARISONS = 50;
/** Most attribute names in `attributes` / `excludedAttributes`. */
export const MAX_ATTRIBUTE_NAMES = 100;
/** Most resources matched in memory for a filter without an SQL translation. */
export const FALLBACK_LIMIT = 5000;
/** Most operations in one PATCH. */
export const MAX_PATCH_OPERATIONS = 1000;
/** Most `members` values in all the operations of one PATCH. */
export const MAX_PATCH_MEMBERS = 10_000;

const COMPARISON = /\b(?:eq|ne|co|sw|ew|gt|lt|ge|le|pr|np)\b/gi;

/** Why a filter is over budget, or null. Comparisons are counted outside quoted values. */
export function filterProblem(expr: string): string | null {
  if (expr.length > MAX_FILTER_LENGTH) return `The filter is ${expr.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`;
  const unquoted = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const comparisons = unquoted.match(COMPARISON)?.length ?? 0;
  if (comparisons > MAX_FILTER_COMPARISONS) {
    return `The filter has ${comparisons} comparisons; at most ${MAX_FILTER_COMPARISONS} are accepted`;
  }
  return null;
}

/** Why an `attributes` / `excludedAttributes` list is over budget, or null. */
export function attributeListProblem(list: string, param: string): string | null {
  if (list.length > MAX_FILTER_LENGTH) return `${param} is ${list.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`;
  const names = list.split(',').filter((s) => s.trim()).length;
  if (names > MAX_ATTRIBUTE_NAMES) return `${param} names ${names} attributes; at most ${MAX_ATTRIBUTE_NAMES} are accepted`;
  return null;
}

const isMembersPath = (path: unknown) => typeof path === 'string' && /(^|:)members(\[|\.|$)/i.test(path.trim());
const count = (v: unknown) => (Array.isArray(v) ? v.length : v === undefined || v === null ? 0 : 1);

/**
 * Why a PATCH message is over budget, or null: more than {@link MAX_PATCH_OPERATIONS} operations,
 * or more than {@link MAX_PATCH_MEMBERS} `members` values in all (by path, or in a pathless value).
 */
export function patchProblem(body: unknown): string | null {
  if (!isObject(body)) return null;
  const ops = body.Operations ?? body.operations;
  if (!Array.isArray(ops)) return null;
  if (ops.length > MAX_PATCH_OPERATIONS) return `The PATCH has ${ops.length} operations; at most ${MAX_PATCH_OPERATIONS} are accepted in one request`;
  let members = 0;
  for (const op of ops) {
    if (!isObject(op)) continue;
    if (isMembersPath(op.path)) members += count(op.value);
    else if (op.path === undefined && isObject(op.value)) {
      for (const [k, v] of Object.entries(op.value)) if (isMembersPath(k)) members += count(v);
    }
  }
  if (members > MAX_PATCH_MEMBERS) {
    return `The PATCH names ${members} member values; at most ${MAX_PATCH_MEMBERS} are accepted in one request (send several requests)`;
  }
  return null;
}
