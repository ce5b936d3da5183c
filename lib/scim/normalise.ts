/**
 * What real IdPs send, made into what RFC 7643/7644 (and SCIMMY) expect — pure functions, no I/O.
 *
 * - Entra ID sends booleans as the strings "True"/"False" (`active`, `primary`), in bodies and in
 *   PATCH values, with or without a path. They become booleans before SCIMMY sees them.
 * - `password` (Okta sends one on create) is dropped wherever it appears: never stored, never echoed.
 * - `id`, `meta` and a user's `groups` in a body are the server's, not the client's: ignored.
 * - Entra sends the enterprise `manager` as a bare id string; it becomes `{ value }`.
 * - Entra adds sub-attributes through a filtered path (`emails[type eq "work"].value`) even when
 *   the user has no such entry yet; RFC 7644 would answer 400 `noTarget`, every real server adds
 *   the entry instead ({@link rewriteFilteredAdds}).
 * - A pathless `replace` of `emails` (or another multi-valued attribute) replaces the list, and a
 *   new primary value takes over from the old one ({@link splitPathlessReplaces}, {@link settlePrimary}).
 * - A PatchOp without `schemas` gets the PatchOp schema (every op is still validated by SCIMMY).
 */
import { ENTERPRISE_USER, PATCH_OP } from './scimmy';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const BOOLEAN_ATTRIBUTES = new Set(['active', 'primary']);

/** "True"/"false"/" TRUE " → boolean; anything else unchanged. */
export function coerceBoolean(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : v;
}

/** The attribute a key or path ends with: `emails[type eq "work"].primary` → `primary`, `urn:…:User:active` → `active`. */
export function lastAttribute(path: string): string {
  // No `[` inside a bracket: linear on a key of many `[` (the other form is quadratic).
  const noFilter = path.replace(/\[[^\][]*\]/g, '');
  const afterDot = noFilter.slice(noFilter.lastIndexOf('.') + 1);
  return afterDot.slice(afterDot.lastIndexOf(':') + 1).toLowerCase();
}

/** Walks a value, turning string booleans of boolean attributes (`active`, `primary`) into booleans. */
export function coerceBooleans(value: Json, key?: string): Json {
  if (Array.isArray(value)) return value.map((v) => coerceBooleans(v, key));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = coerceBooleans(v, k);
    return out;
  }
  if (key !== undefined && BOOLEAN_ATTRIBUTES.has(lastAttribute(key))) return coerceBoolean(value) as Json;
  return value;
}

const isPasswordKey = (k: string) => lastAttribute(k) === 'password';
const isManagerKey = (k: string) => k.toLowerCase() === `${ENTERPRISE_USER}:manager`.toLowerCase() || k.toLowerCase() === 'manager';

/** The enterprise extension's `manager` as `{ value }` when given as a bare id. */
function fixManager(obj: JsonObject): JsonObject {
  const ext = obj[ENTERPRISE_USER];
  if (isObject(ext) && typeof ext.manager === 'string') obj[ENTERPRISE_USER] = { ...ext, manager: { value: ext.manager } };
  for (const [k, v] of Object.entries(obj)) {
    if (k.includes(':') && isManagerKey(k) && typeof v === 'string') obj[k] = { value: v };
  }
  return obj;
}

/** What was left out of a request on the way in (for the request log; never the values). */
export type Dropped = string[];

/**
 * A POST/PUT body for /Users or /Groups: a plain object, without password, id, meta and (users)
 * groups, booleans coerced. Returns null when the body is not a JSON object.
 */
export function normaliseResource(body: unknown, kind: 'User' | 'Group'): { resource: JsonObject; dropped: Dropped } | null {
  if (!isObject(body)) return null;
  const dropped: Dropped = [];
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(body)) {
    const lower = k.toLowerCase();
    if (isPasswordKey(k)) {
      dropped.push('password');
      continue;
    }
    if (lower === 'id' || lower === 'meta') continue;
    if (kind === 'User' && lower === 'groups') continue;
    out[k] = coerceBooleans(v, k);
  }
  // Nested password in the core schema URN form is dropped too (`urn:…:core:2.0:User` map).
  for (const [k, v] of Object.entries(out)) {
    if (k.includes(':') && isObject(v)) {
      for (const inner of Object.keys(v)) {
        if (isPasswordKey(inner)) {
          const { [inner]: _p, ...rest } = v;
          out[k] = rest;
          dropped.push('password');
        }
      }
    }
  }
  return { resource: kind === 'User' ? fixManager(out) : out, dropped };
}

export type PatchOperation = { op: string; path?: string; value?: Json };
export type PatchMessage = { schemas: string[]; Operations: unknown };

/**
 * A PATCH body made ready for SCIMMY's PatchOp: `schemas` defaulted, booleans coerced (by path
 * or by key), password operations dropped, `manager` fixed. Operations that are not objects are
 * left as they are, so that SCIMMY refuses them with its own precise message. `noop` is true
 * when every operation was dropped (a password-only change).
 */
export function normalisePatch(body: unknown): { message: PatchMessage; dropped: Dropped; noop: boolean } | null {
  if (!isObject(body)) return null;
  const dropped: Dropped = [];
  const schemas = body.schemas === undefined ? [PATCH_OP] : body.schemas;
  const ops = body.Operations ?? (body as JsonObject).operations;
  if (!Array.isArray(ops)) {
    return { message: { schemas: schemas as string[], Operations: ops }, dropped, noop: false };
  }
  const out: unknown[] = [];
  for (const raw of ops) {
    if (!isObject(raw)) {
      out.push(raw);
      continue;
    }
    const op: JsonObject = { ...raw };
    const path = typeof op.path === 'string' ? op.path.trim() : op.path;
    if (path === '') delete op.path;
    else if (path !== undefined) op.path = path;
    if (typeof op.path === 'string') {
      if (isPasswordKey(op.path)) {
        dropped.push('password');
        continue;
      }
      if (op.value !== undefined) op.value = coerceBooleans(op.value, op.path);
      if (isManagerKey(op.path) && typeof op.value === 'string') op.value = { value: op.value };
    } else if (op.value !== undefined) {
      if (isObject(op.value)) {
        const value: JsonObject = {};
        for (const [k, v] of Object.entries(op.value)) {
          if (isPasswordKey(k)) {
            dropped.push('password');
            continue;
          }
          value[k] = coerceBooleans(v, k);
        }
        if (Object.keys(value).length === 0 && Object.keys(op.value).length > 0) continue; // password only
        op.value = fixManager(value);
      } else {
        op.value = coerceBooleans(op.value);
      }
    }
    out.push(op);
  }
  return { message: { schemas: schemas as string[], Operations: out }, dropped, noop: out.length === 0 && ops.length > 0 };
}

const FILTERED_SUB = /^([A-Za-z][\w]*)\[\s*type\s+eq\s+"([^"]*)"\s*\]\.([A-Za-z][\w]*)$/i;
const MULTI_VALUED_WITH_TYPE = new Set(['emails', 'phonenumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509certificates']);

/**
 * Entra's `add`/`replace` of `emails[type eq "work"].value` on a user without a work email:
 * becomes an `add` of `{ type: "work", value }` to `emails`. Several such operations on one new
 * entry in one request (`addresses[type eq "work"].streetAddress`, `….locality`, …) fill that one
 * entry. Operations that match an existing entry are left alone (SCIMMY sets the sub-attribute
 * in place).
 */
export function rewriteFilteredAdds(ops: unknown, current: Record<string, unknown>): unknown {
  if (!Array.isArray(ops)) return ops;
  /** Entries this request adds, by `attribute|type`, while no other operation touches that attribute. */
  const adding = new Map<string, JsonObject>();
  const out: unknown[] = [];
  for (const raw of ops) {
    const path = isObject(raw) && typeof raw.path === 'string' ? raw.path : null;
    const kind = isObject(raw) && typeof raw.op === 'string' ? raw.op.toLowerCase() : null;
    const m = path && (kind === 'add' || kind === 'replace') ? FILTERED_SUB.exec(path) : null;
    if (!m || !MULTI_VALUED_WITH_TYPE.has(m[1].toLowerCase())) {
      // Anything else on an attribute ends the merging into its new entries.
      const touched = path ? path.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, '').replace(/[[.].*$/, '').toLowerCase() : null;
      for (const k of [...adding.keys()]) if (touched === null || k.startsWith(`${touched}|`)) adding.delete(k);
      out.push(raw);
      continue;
    }
    const [, attr, type, sub] = m;
    const value = (raw as JsonObject).value ?? null;
    const slot = `${attr.toLowerCase()}|${type}`;
    const entry = adding.get(slot);
    if (entry) {
      entry[sub] = value;
      continue;
    }
    const key = Object.keys(current).find((k) => k.toLowerCase() === attr.toLowerCase()) ?? attr;
    const list = current[key];
    if (Array.isArray(list) && list.some((e) => isObject(e) && e.type === type)) {
      out.push(raw);
      continue;
    }
    const added: JsonObject = { type, [sub]: value };
    adding.set(slot, added);
    out.push({ op: 'add', path: key, value: [added] });
  }
  return out;
}

/**
 * A `replace` without a path replaces each multi-valued attribute it names with the values given
 * (RFC 7644 §3.5.2.3), where SCIMMY would merge them into the old ones: those attributes become
 * `replace` operations with a path, in place, and the rest stays one pathless `replace`.
 */
export function splitPathlessReplaces(ops: unknown): unknown {
  if (!Array.isArray(ops)) return ops;
  return ops.flatMap((raw) => {
    if (!isObject(raw) || typeof raw.op !== 'string' || raw.op.toLowerCase() !== 'replace' || raw.path !== undefined || !isObject(raw.value)) return [raw];
    const rest: JsonObject = {};
    const split: JsonObject[] = [];
    for (const [k, v] of Object.entries(raw.value)) {
      if (MULTI_VALUED_WITH_TYPE.has(k.toLowerCase()) && Array.isArray(v)) split.push({ op: 'replace', path: k, value: v });
      else rest[k] = v;
    }
    if (!split.length) return [raw];
    return Object.keys(rest).length ? [{ ...raw, value: rest }, ...split] : split;
  });
}

/**
 * At most one value of a multi-valued attribute is primary (RFC 7643 §2.4): when a change makes a
 * value primary, the values that were primary before stop being so (RFC 7644 §3.5.2). Compares
 * `after` with `before` (values by type and value) and answers `after`, corrected. A list that
 * gained no new primary is left as it was (the portal email stays the first primary).
 */
export function settlePrimary(before: Record<string, unknown>, after: JsonObject): JsonObject {
  const out: JsonObject = { ...after };
  for (const [k, list] of Object.entries(after)) {
    if (!MULTI_VALUED_WITH_TYPE.has(k.toLowerCase()) || !Array.isArray(list)) continue;
    const primaries = list.filter((e) => isObject(e) && e.primary === true) as JsonObject[];
    if (primaries.length < 2) continue;
    const identity = (e: JsonObject) => JSON.stringify([e.type ?? null, e.value ?? null]);
    const old = Array.isArray(before[k]) ? (before[k] as unknown[]) : [];
    const wasPrimary = new Set(old.filter((e) => isObject(e) && e.primary === true).map((e) => identity(e as JsonObject)));
    const fresh = primaries.filter((e) => !wasPrimary.has(identity(e)));
    if (!fresh.length) continue;
    const keep = fresh.at(-1)!;
    out[k] = list.map((e) => (isObject(e) && e.primary === true && e !== keep ? { ...e, primary: false } : e));
  }
  return out;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const isEmail = (s: unknown): s is string => typeof s === 'string' && s.length <= 320 && EMAIL.test(s.trim());

type Email = { value?: unknown; type?: unknown; primary?: unknown };
const emailsOf = (resource: Record<string, unknown>): Email[] =>
  Array.isArray(resource.emails) ? (resource.emails.filter(isObject) as Email[]) : [];

/**
 * The portal user's email for a SCIM user: the primary email, else the `work` email, else
 * `userName` when it is an address; lower-cased. Null when none is usable.
 */
export function portalEmail(resource: Record<string, unknown>): string | null {
  const emails = emailsOf(resource);
  const candidates = [
    emails.find((e) => e.primary === true)?.value,
    emails.find((e) => typeof e.type === 'string' && e.type.toLowerCase() === 'work')?.value,
    resource.userName,
  ];
  for (const c of candidates) if (isEmail(c)) return c.trim().toLowerCase();
  return null;
}

/** Every email value, lower-cased (the `emails` column that filters use). */
export function emailValues(resource: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const e of emailsOf(resource)) if (typeof e.value === 'string' && e.value.trim()) out.add(e.value.trim().toLowerCase());
  return [...out];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

/** First and last name from `name`, else split from `displayName`/`name.formatted`. */
export function namesOf(resource: Record<string, unknown>): { firstName: string | null; lastName: string | null } {
  const name = isObject(resource.name) ? resource.name : {};
  const firstName = str(name.givenName);
  const lastName = str(name.familyName);
  if (firstName || lastName) return { firstName, lastName };
  const full = str(name.formatted) ?? str(resource.displayName);
  if (!full) return { firstName: null, lastName: null };
  const parts = full.split(/\s+/);
  return parts.length === 1 ? { firstName: parts[0], lastName: null } : { firstName: parts.slice(0, -1).join(' '), lastName: parts.at(-1)! };
}

/**
 * The attributes role-mapping rules see for a SCIM user: `groups` (the display names of its SCIM
 * groups), `email`, `userName`, and the single-valued core and enterprise attributes by their
 * short names (`department`, `title`, `userType`, `employeeNumber`, …).
 */
export function mappingAttributes(resource: Record<string, unknown>, groups: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const put = (k: string, v: unknown) => {
    const s = str(v);
    if (s) out[k] = [s];
  };
  for (const k of ['userName', 'displayName', 'nickName', 'title', 'userType', 'preferredLanguage', 'locale', 'timezone', 'externalId']) {
    put(k, resource[k]);
  }
  const ext = resource[ENTERPRISE_USER];
  if (isObject(ext)) {
    for (const k of ['employeeNumber', 'costCenter', 'organization', 'division', 'department']) put(k, ext[k]);
  }
  const email = portalEmail(resource);
  out.email = email ? [email] : [];
  out.groups = [...new Set(groups)].sort();
  return out;
}

/** Query parameters of a list request (`GET /Users?…`), as SCIMMY's Resource expects them. */
export type ListParams = {
  filter?: string;
  attributes?: string;
  excludedAttributes?: string;
  startIndex: number;
  count: number;
};

/** startIndex ≥ 1 (default 1); count 0…max (default max); non-numbers fall back to the defaults (RFC 7644 §3.4.2.4). */
export function listParams(q: URLSearchParams | Record<string, unknown>, max: number): ListParams {
  const get = (k: string): string | undefined => {
    const v = q instanceof URLSearchParams ? q.get(k) : q[k];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v.join(',');
    return String(v);
  };
  const int = (v: string | undefined) => (v !== undefined && /^\s*-?\d+\s*$/.test(v) ? Number.parseInt(v, 10) : undefined);
  const startIndex = Math.max(1, int(get('startIndex')) ?? 1);
  const count = Math.min(max, Math.max(0, int(get('count')) ?? max));
  const out: ListParams = { startIndex, count };
  for (const k of ['filter', 'attributes', 'excludedAttributes'] as const) {
    const v = get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}
