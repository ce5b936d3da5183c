/**
 * SCIM filters (as parsed by SCIMMY's Filter: an OR-list of AND-objects) translated to SQL on our
 * tables, so that `userName eq "…"`, `externalId eq "…"` and `emails[type eq "work"].value eq "…"`
 * are index lookups inside one directory, not scans of every row in memory.
 *
 * Case: `userName`, `displayName`, emails and other caseExact=false attributes compare
 * case-insensitively (RFC 7643 §2.1/§7); `id` and `externalId` are caseExact.
 *
 * Returns null for a filter it does not know how to translate; the caller then filters the
 * directory's rows in memory (correct, slower — only for unusual attributes).
 */
import { sql, type SQL } from 'drizzle-orm';
import { scimGroupMembers, scimGroups, scimUsers } from '../db/schema';
import { ENTERPRISE_USER, ScimError } from './scimmy';

type Expr = unknown[];
type Term = Record<string, unknown>;

const COMPARATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'lt', 'ge', 'le', 'pr', 'np']);

class Unsupported extends Error {}

/** One comparison: negated?, operator, value. Malformed → 400 invalidFilter. */
function parseExpr(e: Expr): { not: boolean; op: string; value: unknown } {
  const parts = [...e];
  const not = typeof parts[0] === 'string' && parts[0].toLowerCase() === 'not';
  if (not) parts.shift();
  const op = String(parts[0] ?? '').toLowerCase();
  if (!COMPARATORS.has(op)) throw new ScimError(400, 'invalidFilter', `Unknown comparison operator '${parts[0]}' in filter`);
  if (op !== 'pr' && op !== 'np' && parts.length < 2) throw new ScimError(400, 'invalidFilter', `Comparison '${op}' needs a value in filter`);
  return { not, op, value: parts[1] };
}

/** The expressions on one attribute: a single [op, value] or a list of them (AND). */
function exprsOf(v: unknown): Expr[] {
  if (!Array.isArray(v)) throw new Unsupported();
  return v.length && v.every(Array.isArray) ? (v as Expr[]) : [v as Expr];
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** A comparison on a text expression; `ci` folds both sides to lower case. */
function textCompare(col: SQL, op: string, value: unknown, ci: boolean): SQL {
  if (op === 'pr') return sql`(${col} is not null and ${col} <> '')`;
  if (op === 'np') return sql`(${col} is null or ${col} = '')`;
  if (value === null) return op === 'eq' ? sql`${col} is null` : op === 'ne' ? sql`${col} is not null` : sql`false`;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new Unsupported();
  const v = String(value);
  const left = ci ? sql`lower(${col})` : col;
  const right = ci ? v.toLowerCase() : v;
  switch (op) {
    case 'eq':
      return sql`${left} = ${right}`;
    case 'ne':
      return sql`(${col} is null or ${left} <> ${right})`;
    case 'co':
      return sql`${left} like ${'%' + likeEscape(right) + '%'}`;
    case 'sw':
      return sql`${left} like ${likeEscape(right) + '%'}`;
    case 'ew':
      return sql`${left} like ${'%' + likeEscape(right)}`;
    case 'gt':
      return sql`${left} > ${right}`;
    case 'ge':
      return sql`${left} >= ${right}`;
    case 'lt':
      return sql`${left} < ${right}`;
    case 'le':
      return sql`${left} <= ${right}`;
  }
  throw new Unsupported();
}

function boolCompare(col: SQL, op: string, value: unknown): SQL {
  if (op === 'pr') return sql`true`;
  if (op === 'np') return sql`false`;
  const b = typeof value === 'string' ? value.trim().toLowerCase() : value;
  const v = b === true || b === 'true' ? true : b === false || b === 'false' ? false : null;
  if (v === null || (op !== 'eq' && op !== 'ne')) throw new ScimError(400, 'invalidFilter', 'Boolean attributes compare with eq or ne to true or false');
  return op === 'eq' ? sql`${col} = ${v}` : sql`${col} <> ${v}`;
}

function timeCompare(col: SQL, op: string, value: unknown): SQL {
  if (op === 'pr') return sql`true`;
  if (op === 'np') return sql`false`;
  const d = typeof value === 'string' ? new Date(value) : null;
  // Years PostgreSQL and ISO strings agree on (a year 0 or 10000 would fail in the database).
  if (!d || Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) {
    throw new ScimError(400, 'invalidFilter', 'Dates in filters must be ISO 8601 date-times of the years 1 to 9999');
  }
  const iso = d.toISOString();
  const ops: Record<string, SQL> = {
    eq: sql`${col} = ${iso}::timestamptz`,
    ne: sql`${col} <> ${iso}::timestamptz`,
    gt: sql`${col} > ${iso}::timestamptz`,
    ge: sql`${col} >= ${iso}::timestamptz`,
    lt: sql`${col} < ${iso}::timestamptz`,
    le: sql`${col} <= ${iso}::timestamptz`,
  };
  if (!ops[op]) throw new Unsupported();
  return ops[op];
}

const and = (parts: SQL[]) => (parts.length === 1 ? parts[0] : sql`(${sql.join(parts, sql` and `)})`);
const or = (parts: SQL[]) => (parts.length === 1 ? parts[0] : sql`(${sql.join(parts, sql` or `)})`);
const negate = (s: SQL, not: boolean) => (not ? sql`not coalesce(${s}, false)` : s);

function eachExpr(v: unknown, fn: (op: string, value: unknown) => SQL): SQL {
  return and(
    exprsOf(v).map((e) => {
      const p = parseExpr(e);
      return negate(fn(p.op, p.value), p.not);
    }),
  );
}

/** `emails[type eq "work"].value eq "x"`, `emails.value eq "x"`, `emails[value eq "x" and primary eq true]`. */
function emailsCondition(v: unknown): SQL {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
  const sub = v as Record<string, unknown>;
  const conds: SQL[] = [];
  let prefilter: SQL | null = null;
  for (const [k, exprs] of Object.entries(sub)) {
    const key = k.toLowerCase();
    const list = exprsOf(exprs).map(parseExpr);
    for (const p of list) {
      if (key === 'value') {
        if (p.op === 'eq' && !p.not && typeof p.value === 'string') {
          // the GIN index on the lower-cased `emails` column finds the candidates
          prefilter = sql`${scimUsers.emails} @> array[${p.value.trim().toLowerCase()}]::text[]`;
        }
        conds.push(negate(textCompare(sql`(e->>'value')`, p.op, p.value, true), p.not));
      } else if (key === 'type') {
        conds.push(negate(textCompare(sql`(e->>'type')`, p.op, p.value, true), p.not));
      } else if (key === 'primary') {
        conds.push(negate(boolCompare(sql`coalesce((e->>'primary')::boolean, false)`, p.op, p.value), p.not));
      } else throw new Unsupported();
    }
  }
  if (!conds.length) throw new Unsupported();
  const exists = sql`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${scimUsers.resource}->'emails') = 'array' then ${scimUsers.resource}->'emails' else '[]'::jsonb end) e where ${and(conds)})`;
  return prefilter ? sql`(${prefilter} and ${exists})` : exists;
}

/** A single-valued string attribute of the stored resource (jsonb path), compared case-insensitively. */
function jsonText(path: string[]): SQL {
  let base = sql`${scimUsers.resource}`;
  for (const p of path.slice(0, -1)) base = sql`${base}->${p}::text`;
  return sql`(${base}->>${path.at(-1)!}::text)`;
}

const USER_STRINGS = new Set(['displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'profileUrl']);
const NAME_PARTS = new Set(['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix']);
const ENTERPRISE_STRINGS = new Set(['employeeNumber', 'costCenter', 'organization', 'division', 'department']);

const findKey = (set: Set<string>, k: string) => [...set].find((s) => s.toLowerCase() === k.toLowerCase());

function userAttribute(attr: string, v: unknown): SQL {
  const a = attr.toLowerCase();
  if (a === 'id') return eachExpr(v, (op, value) => textCompare(sql`${scimUsers.id}`, op, value, false));
  if (a === 'username') return eachExpr(v, (op, value) => textCompare(sql`${scimUsers.userName}`, op, value, true));
  if (a === 'externalid') return eachExpr(v, (op, value) => textCompare(sql`${scimUsers.externalId}`, op, value, false));
  if (a === 'active') return eachExpr(v, (op, value) => boolCompare(sql`${scimUsers.active}`, op, value));
  if (a === 'emails') return emailsCondition(v);
  if (a === 'meta') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
    return and(
      Object.entries(v as Record<string, unknown>).map(([k, e]) => {
        const col = k.toLowerCase() === 'created' ? sql`${scimUsers.createdAt}` : k.toLowerCase() === 'lastmodified' ? sql`${scimUsers.updatedAt}` : null;
        if (!col) throw new Unsupported();
        return eachExpr(e, (op, value) => timeCompare(col, op, value));
      }),
    );
  }
  if (a === 'name') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
    return and(
      Object.entries(v as Record<string, unknown>).map(([k, e]) => {
        const part = findKey(NAME_PARTS, k);
        if (!part) throw new Unsupported();
        return eachExpr(e, (op, value) => textCompare(jsonText(['name', part]), op, value, true));
      }),
    );
  }
  const simple = findKey(USER_STRINGS, attr);
  if (simple) return eachExpr(v, (op, value) => textCompare(jsonText([simple]), op, value, true));
  if (a.startsWith(`${ENTERPRISE_USER.toLowerCase()}:`)) {
    const sub = findKey(ENTERPRISE_STRINGS, attr.slice(ENTERPRISE_USER.length + 1));
    if (!sub) throw new Unsupported();
    return eachExpr(v, (op, value) => textCompare(jsonText([ENTERPRISE_USER, sub]), op, value, true));
  }
  if (a === ENTERPRISE_USER.toLowerCase()) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
    return and(
      Object.entries(v as Record<string, unknown>).map(([k, e]) => {
        const sub = findKey(ENTERPRISE_STRINGS, k);
        if (!sub) throw new Unsupported();
        return eachExpr(e, (op, value) => textCompare(jsonText([ENTERPRISE_USER, sub]), op, value, true));
      }),
    );
  }
  throw new Unsupported();
}

function groupAttribute(attr: string, v: unknown): SQL {
  const a = attr.toLowerCase();
  if (a === 'id') return eachExpr(v, (op, value) => textCompare(sql`${scimGroups.id}`, op, value, false));
  if (a === 'displayname') return eachExpr(v, (op, value) => textCompare(sql`${scimGroups.displayName}`, op, value, true));
  if (a === 'externalid') return eachExpr(v, (op, value) => textCompare(sql`${scimGroups.externalId}`, op, value, false));
  if (a === 'meta') {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
    return and(
      Object.entries(v as Record<string, unknown>).map(([k, e]) => {
        const col = k.toLowerCase() === 'created' ? sql`${scimGroups.createdAt}` : k.toLowerCase() === 'lastmodified' ? sql`${scimGroups.updatedAt}` : null;
        if (!col) throw new Unsupported();
        return eachExpr(e, (op, value) => timeCompare(col, op, value));
      }),
    );
  }
  if (a === 'members') {
    // members[value eq "id"] (Entra's membership check) or members.value eq "id"
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Unsupported();
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length !== 1 || entries[0][0].toLowerCase() !== 'value') throw new Unsupported();
    return and(
      exprsOf(entries[0][1]).map((e) => {
        const p = parseExpr(e);
        if (p.op === 'pr' || p.op === 'np') {
          const ex = sql`exists (select 1 from ${scimGroupMembers} m where m.group_id = ${scimGroups.id})`;
          return negate(p.op === 'pr' ? ex : sql`not ${ex}`, p.not);
        }
        if (p.op !== 'eq' || typeof p.value !== 'string') throw new Unsupported();
        return negate(sql`exists (select 1 from ${scimGroupMembers} m where m.group_id = ${scimGroups.id} and m.user_id = ${p.value})`, p.not);
      }),
    );
  }
  throw new Unsupported();
}

/** SQL for a parsed filter on Users or Groups, or null when some part of it has no translation. */
export function filterToSql(kind: 'User' | 'Group', filter: readonly Term[]): SQL | null {
  try {
    const terms = filter.map((term) => and(Object.entries(term).map(([attr, v]) => (kind === 'User' ? userAttribute(attr, v) : groupAttribute(attr, v)))));
    return or(terms);
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}
