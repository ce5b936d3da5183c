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
/**
 * Most characters of stored resources read for that (all held in memory at once), and most work
 * matching them, as characters × the filter's terms: the matcher goes over every resource for each
 * term (88 MB of users took 3.5 s for one term, 30 s for fifty). 5·10⁷ is about 0.5 s.
 */
export const FALLBACK_MAX_CHARS = 10_000_000;
export const FALLBACK_MAX_WORK = 50_000_000;
/** Most values of one multi-valued attribute of a user (emails, phoneNumbers, addresses, …). */
export const MAX_ATTRIBUTE_VALUES = 100;
/** Largest stored user, in characters of JSON. */
export const MAX_USER_CHARS = 64 * 1024;
/**
 * Most work in one user PATCH, as operations × the user's size in characters: the PATCH engine
 * goes over the whole user for each operation (1,000 operations on a 189 KB user were minutes;
 * 1,000 value-path removals on a 4 KB user of 100 emails, 2 s). A 1 KB user takes 500 operations
 * (about 0.3 s at most), a 64 KiB one 7; IdPs send a few dozen.
 */
export const MAX_PATCH_WORK = 500_000;
/**
 * Most group members rendered in one list answer: a page of groups is cut short (RFC 7644 §3.4.2.4
 * allows fewer results than `count`; `itemsPerPage` says how many) so that its members stay within
 * this, though it always holds at least one group. 50,000 members took 3 s and 190 MB to render.
 */
export const MAX_LIST_MEMBERS = 10_000;
/** Most operations in one PATCH. */
export const MAX_PATCH_OPERATIONS = 1000;
/** Most `members` values in all the operations of one PATCH. */
export const MAX_PATCH_MEMBERS = 10_000;

/**
 * Most terms of a filter once expanded as the parser expands it (an OR of ANDs): `(a or b) and
 * (c or d)` is 4. Each term is parsed, translated and matched, so ANDs of ORs cost their product:
 * 16 pairs (32 comparisons, 503 characters) were 65,536 terms and held the process for 25 s.
 */
export const MAX_FILTER_TERMS = 64;
/** Most expanded terms in all the value-path filters (`emails[type eq "work"]`) of one PATCH. */
export const MAX_PATCH_FILTER_TERMS = 2000;
/**
 * Most backslashes in one filter or PATCH path, which may hold no line break: the parser's pattern
 * for a quoted value (SCIMMY 1.3.5) backtracks exponentially on each where the quote is never
 * closed (40 backslashes held the process 2.4 s, 24 line breaks 0.2 s, each more about 1.6 times
 * that). A value needs one for an escaped quote, two for a `DOMAIN\\user` name.
 */
export const MAX_FILTER_BACKSLASHES = 8;
/** Longest PATCH path: an attribute path with a value-path filter of up to MAX_FILTER_LENGTH. */
export const MAX_PATCH_PATH_LENGTH = MAX_FILTER_LENGTH + 300;
/**
 * Most work splitting the paths of one PATCH, as the sum of their lengths squared: the parser
 * splits a path in time quadratic in its length (one of 80,000 characters took 2.2 s). 10⁸ is
 * about 20 ms; a thousand value paths of 300 characters pass.
 */
export const MAX_PATCH_PATH_WORK = 100_000_000;

const COMPARISON = /\b(?:eq|ne|co|sw|ew|gt|lt|ge|le|pr|np)\b/gi;
const unquote = (expr: string) => expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
const CAP = 1e9;
const add = (a: number, b: number) => Math.min(CAP, a + b);
const mul = (a: number, b: number) => Math.min(CAP, a * b);

/**
 * How many terms the filter has once expanded to an OR of ANDs (an upper bound, saturating at 10⁹),
 * read from its and/or/not structure, parentheses and value-path brackets. Each part is kept as
 * [terms as an OR of ANDs, terms as an AND of ORs]; a `not` counts as the larger. Never throws: a
 * malformed filter gets its bound and is refused by the parser afterwards. (Value paths repeated
 * under an AND can add terms linearly, which the 50 comparisons bound.)
 */
export function filterTerms(expr: string): number {
  const tokens = unquote(expr).match(/[()[\]]|[^\s()[\]]+/g) ?? [];
  let i = 0;
  const word = (w: string) => tokens[i]?.toLowerCase() === w;
  type Size = [dnf: number, cnf: number];
  /** Parts joined by `op`, left to right: an OR adds terms (and multiplies the AND-of-ORs count), an AND the other way round. */
  const joined = (op: 'and' | 'or', part: () => Size): Size => {
    let s = part();
    while (word(op)) {
      i++;
      const r = part();
      s = op === 'or' ? [add(s[0], r[0]), mul(s[1], r[1])] : [mul(s[0], r[0]), add(s[1], r[1])];
    }
    return s;
  };
  const or = (): Size => joined('or', and);
  const and = (): Size => joined('and', unary);
  const unary = (): Size => {
    if (word('not')) {
      // The parser does not turn `not (a or b)` into `not a and not b`: it keeps the OR (2 terms).
      // Either way the larger count bounds it.
      i++;
      const [d, c] = unary();
      const most = Math.max(d, c);
      return [most, most];
    }
    if (tokens[i] === '(') {
      i++;
      const s = or();
      if (tokens[i] === ')') i++;
      return s;
    }
    // A comparison: tokens up to the next and/or or closing parenthesis; a bracket inside it
    // (a value-path filter) expands with it.
    let s: Size = [1, 1];
    while (i < tokens.length && tokens[i] !== ')' && tokens[i] !== ']' && !word('and') && !word('or')) {
      if (tokens[i++] === '[') {
        const inner = or();
        if (tokens[i] === ']') i++;
        s = [mul(s[0], inner[0]), mul(s[1], inner[1])];
      }
    }
    return s;
  };
  let total: Size = or();
  // Whatever a malformed filter leaves over is read as further parts.
  while (i < tokens.length) {
    i++;
    const r = or();
    total = [add(total[0], r[0]), add(total[1], r[1])];
  }
  return total[0];
}

/** Why a filter is over budget (`problem`, else null), and its terms once expanded. Comparisons are counted outside quoted values. */
function filterBudget(expr: string, what: string): { problem: string | null; terms: number } {
  if (expr.length > MAX_FILTER_LENGTH) return { problem: `${what} is ${expr.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`, terms: 0 };
  const backtracking = backtrackProblem(expr, what);
  if (backtracking) return { problem: backtracking, terms: 0 };
  const comparisons = unquote(expr).match(COMPARISON)?.length ?? 0;
  if (comparisons > MAX_FILTER_COMPARISONS) {
    return { problem: `${what} has ${comparisons} comparisons; at most ${MAX_FILTER_COMPARISONS} are accepted`, terms: 0 };
  }
  const terms = filterTerms(expr);
  if (terms > MAX_FILTER_TERMS) {
    return { problem: `${what} has ${terms} terms once expanded; at most ${MAX_FILTER_TERMS} are accepted (an AND of ORs multiplies: write it as an OR of ANDs)`, terms };
  }
  return { problem: null, terms };
}

/** Deepest nesting of parentheses and brackets in a filter (each level is parsed recursively). */
export const MAX_FILTER_DEPTH = 32;

/** Line breaks, too many backslashes (see MAX_FILTER_BACKSLASHES) or too deep a nesting, or null. */
function backtrackProblem(expr: string, what: string): string | null {
  if (/[\r\n]/.test(expr)) return `${what} contains a line break; none is accepted`;
  let depth = 0;
  let deepest = 0;
  for (const ch of expr) {
    if (ch === '(' || ch === '[') deepest = Math.max(deepest, ++depth);
    else if ((ch === ')' || ch === ']') && depth > 0) depth--;
  }
  if (deepest > MAX_FILTER_DEPTH) return `${what} is nested ${deepest} deep; at most ${MAX_FILTER_DEPTH} are accepted`;
  const backslashes = expr.split('\\').length - 1;
  return backslashes > MAX_FILTER_BACKSLASHES ? `${what} has ${backslashes} backslashes; at most ${MAX_FILTER_BACKSLASHES} are accepted` : null;
}

/** Why a filter is over budget, or null. */
export const filterProblem = (expr: string, what = 'The filter'): string | null => filterBudget(expr, what).problem;

/** An attribute name or path (`name.givenName`, `urn:…:User:manager.value`, `$ref`). */
const ATTRIBUTE_NAME = /^[A-Za-z0-9:._$-]+$/;

/** Why an `attributes` / `excludedAttributes` list is over budget, or null. */
export function attributeListProblem(list: string, param: string): string | null {
  if (list.length > MAX_FILTER_LENGTH) return `${param} is ${list.length} characters long; at most ${MAX_FILTER_LENGTH} are accepted`;
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length > MAX_ATTRIBUTE_NAMES) return `${param} names ${names.length} attributes; at most ${MAX_ATTRIBUTE_NAMES} are accepted`;
  const odd = names.find((n) => !ATTRIBUTE_NAME.test(n));
  if (odd !== undefined) return `${param} holds ${JSON.stringify(odd.slice(0, 80))}, which is not an attribute name`;
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
  let terms = 0;
  let pathWork = 0;
  for (const [n, op] of ops.entries()) {
    if (!isObject(op)) continue;
    // A value-path filter (`emails[type eq "work"].value`) is a filter like any other, in the path
    // or in the keys of a pathless value (each key is applied as a path).
    const paths = typeof op.path === 'string' ? [op.path] : op.path === undefined && isObject(op.value) ? Object.keys(op.value) : [];
    for (const path of paths) {
      if (path.length > MAX_PATCH_PATH_LENGTH) return `operation ${n + 1}: the path is ${path.length} characters; at most ${MAX_PATCH_PATH_LENGTH} are accepted`;
      pathWork += path.length * path.length;
      if (pathWork > MAX_PATCH_PATH_WORK) return `The PATCH's paths are too long together (at operation ${n + 1}); send fewer or shorter ones`;
      const backtracking = backtrackProblem(path, `operation ${n + 1}: the path`);
      if (backtracking) return backtracking;
      const open = path.indexOf('[');
      if (open === -1) continue;
      const inner = path.slice(open + 1, path.lastIndexOf(']') > open ? path.lastIndexOf(']') : undefined);
      const { problem, terms: these } = filterBudget(inner, `operation ${n + 1}: the path's filter`);
      if (problem) return problem;
      terms += these;
    }
    if (isMembersPath(op.path)) members += count(op.value);
    else if (op.path === undefined && isObject(op.value)) {
      for (const [k, v] of Object.entries(op.value)) if (isMembersPath(k)) members += count(v);
    }
  }
  if (terms > MAX_PATCH_FILTER_TERMS) {
    return `The PATCH's path filters have ${terms} terms in all; at most ${MAX_PATCH_FILTER_TERMS} are accepted in one request (send several requests)`;
  }
  if (members > MAX_PATCH_MEMBERS) {
    return `The PATCH names ${members} member values; at most ${MAX_PATCH_MEMBERS} are accepted in one request (send several requests)`;
  }
  return null;
}

/**
 * Why a user, as it would be stored, is over budget, or null. `before`: the user as stored, which
 * may be over the limits (stored before they existed): it may be written again without growing
 * (a deactivation), that is with no attribute over the limit holding more values than before, and
 * no more than a few characters larger (a flag turned from true to false).
 */
export function userProblem(user: Record<string, unknown>, before?: Record<string, unknown>): string | null {
  for (const [name, value] of Object.entries(user)) {
    if (name === 'schemas' || !Array.isArray(value) || value.length <= MAX_ATTRIBUTE_VALUES) continue;
    const had = before?.[name];
    if (!Array.isArray(had) || value.length > had.length) return `${name} holds ${value.length} values; at most ${MAX_ATTRIBUTE_VALUES} are accepted`;
  }
  const size = JSON.stringify(user).length;
  if (size > MAX_USER_CHARS && !(before && size <= JSON.stringify(before).length + 64)) return `The user is ${size} characters of JSON, larger than 64 KiB`;
  return null;
}

/**
 * What a PATCH's operations weigh for the PATCH engine: operations (each key of a pathless value
 * is one: it is applied as a path), the characters of the lists among their values (what the
 * resource may grow by while later operations go over it) and the longest of those lists.
 */
export function patchCost(ops: unknown[]): { operations: number; valueChars: number; largestList: number } {
  let operations = 0;
  let valueChars = 0;
  let largestList = 0;
  for (const op of ops) {
    if (!isObject(op)) {
      operations++;
      continue;
    }
    operations += op.path === undefined && isObject(op.value) ? Math.max(1, Object.keys(op.value).length) : 1;
    // Lists are what a resource grows by (a single value replaces one).
    const lists = Array.isArray(op.value) ? [op.value] : isObject(op.value) ? Object.values(op.value).filter(Array.isArray) : [];
    for (const list of lists) {
      largestList = Math.max(largestList, (list as unknown[]).length);
      valueChars += JSON.stringify(list).length;
    }
  }
  return { operations, valueChars, largestList };
}

/**
 * Why a PATCH of `operations` that the PATCH engine applies to a whole resource of `chars`
 * characters (a user; a group only for shapes other than the usual member and name changes) is
 * too much work, or null.
 */
export function patchWorkProblem(operations: number, chars: number, what: 'user' | 'group' = 'user'): string | null {
  if (operations * chars <= MAX_PATCH_WORK) return null;
  const most = Math.floor(MAX_PATCH_WORK / chars);
  const advice = most >= 1 ? `send at most ${most} operations per request` : `this ${what} is too large for a PATCH of this shape${what === 'group' ? ' (send members add/remove operations)' : ''}`;
  return `The PATCH's ${operations} operations × the ${chars} characters of this ${what} are over the work budget; ${advice}`;
}
