import { parseJson } from '../http/json';
import { randomUUID } from 'node:crypto';
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { auditInsert, record, recordMany } from '../audit/record';
import { PAGE_ROWS } from '../db/pages';
import type { Ctx } from '../audit/types';
import { dbHandle, getDb, type Tx } from '../db/client';
import { transactionRetried } from '../db/retry';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Directory, ScimOutcome } from '../db/schema';
import { AppError, isDatabaseUnavailable, isUniqueViolation } from '../errors';
import { readBody, textProblem } from '../api/body';
import { MAX_PATCH_PATH_LENGTH } from './budgets';
import { requestMeta } from '../http/request-meta';
import { log } from '../log';
import { authenticate, authGuard, bearerToken, forgetAccepted, guardRefused, heldTenant, recentlyAccepted, type AuthFailure, type AuthOk, type AuthResult } from './auth';
import type { ScimContext, ScimTenant } from './context';
import { createGroup, deleteGroup, getGroup, patchGroup, replaceGroup, type Want } from './groups';
import { logRequest, maybePrune, outcomeOf, requestLogInsert } from './log';
import { listParams } from './normalise';
import { attributeFilter, excludesMembers, listResources } from './resources';
import { ERROR_SCHEMA, LIST_RESPONSE, MAX_RESULTS, SCIMMY } from './scimmy';
import { scimUrl } from './urls';
import { createUser, deleteUser, getUser, patchUser, planCreateUser, replaceUser } from './users';

/**
 * One SCIM request, end to end: bearer token → route → body (≤ 1 MiB) → one transaction holding
 * the change, its portal-user consequences, its audit events and its request-log row → answer
 * after commit. Errors answer in the SCIM Error schema (`status` as a string); a failure of ours
 * answers 5xx (nothing was stored, the IdP retries), never a 2xx for something not stored.
 */

const CONTENT_TYPE = 'application/scim+json; charset=utf-8';

/** Renders the single-statement create for the driver directly (no result mapping needed). */
const dialect = new PgDialect();

export function scimErrorBody(status: number, detail: string, scimType?: string | null) {
  return { schemas: [ERROR_SCHEMA], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  if (status === 204) return new Response(null, { status, headers });
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': CONTENT_TYPE, ...headers } });
}

const errorResponse = (status: number, detail: string, scimType?: string | null, headers?: Record<string, string>) =>
  json(status, scimErrorBody(status, detail, scimType), headers);

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (c: ScimContext) => Promise<Answer>;
/**
 * A write that can go as a single statement (see {@link planCreateUser}): its INSERTs and answer,
 * or null for the handler's transaction instead. Planned without I/O; `fallback` names the unique
 * index whose violation also sends the request to the handler.
 */
type Plan = { plan: (c: ScimContext, tenantId: SQL) => { writes: SQLWrapper[]; answer: Answer } | null; fallback: string };
type Route = ({ handler: Handler; needsBody: boolean; write: boolean } & Partial<Plan>) | { answer: Answer };

const REJECT_DETAIL: Record<AuthFailure, string> = {
  missing_token: 'A bearer token is required (Authorization: Bearer <token>)',
  unknown_directory: 'The bearer token is not valid for this directory',
  revoked_token: 'The bearer token is not valid for this directory',
  wrong_token: 'The bearer token is not valid for this directory',
};

function discovery(base: string, segments: string[]): Answer | null {
  const [what, id, ...rest] = segments;
  if (rest.length) return null;
  if (what === 'ServiceProviderConfig' && !id) {
    const spc = new SCIMMY.Schemas.ServiceProviderConfig(SCIMMY.Config.get(), `${base}/ServiceProviderConfig`);
    return { status: 200, body: JSON.parse(JSON.stringify(spc)) };
  }
  if (what === 'ResourceTypes') {
    const all = Object.values(SCIMMY.Resources.declared()).map((R) => JSON.parse(JSON.stringify(new SCIMMY.Schemas.ResourceType(R.describe(), `${base}/ResourceTypes`))));
    if (!id) return { status: 200, body: { schemas: [LIST_RESPONSE], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } };
    const one = all.find((r) => r.id === id || r.name === id);
    return one ? { status: 200, body: one } : { status: 404, body: scimErrorBody(404, `ResourceType ${id} not found`) };
  }
  if (what === 'Schemas') {
    const all = SCIMMY.Schemas.declared().map((S: { describe(base: string): unknown }) => JSON.parse(JSON.stringify(S.describe(`${base}/Schemas`))));
    if (!id) return { status: 200, body: { schemas: [LIST_RESPONSE], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all } };
    const one = all.find((s: { id: string }) => s.id === id);
    return one ? { status: 200, body: one } : { status: 404, body: scimErrorBody(404, `Schema ${id} not found`) };
  }
  return null;
}

const created = (out: Record<string, unknown>): Answer => {
  const location = (out.meta as { location?: string } | undefined)?.location;
  return { status: 201, body: out, headers: location ? { location } : undefined };
};

function route(method: string, segments: string[], search: URLSearchParams, base: string): Route {
  const [resource, id, extra] = segments;
  const disc = method === 'GET' ? discovery(base, segments) : null;
  if (disc) return { answer: disc };
  if (resource === 'ServiceProviderConfig' || resource === 'ResourceTypes' || resource === 'Schemas') {
    return { answer: { status: 405, body: scimErrorBody(405, `${method} is not supported on /${resource}`), headers: { allow: 'GET' } } };
  }
  if (resource === 'Bulk') return { answer: { status: 501, body: scimErrorBody(501, 'Bulk operations are not supported (see ServiceProviderConfig)') } };
  if ((resource !== 'Users' && resource !== 'Groups') || extra !== undefined) {
    return { answer: { status: 404, body: scimErrorBody(404, `No SCIM endpoint at /${segments.join('/')}`) } };
  }
  const kind = resource === 'Users' ? 'User' : 'Group';
  const attrsOf = () => {
    const p = { attributes: search.get('attributes') ?? undefined, excludedAttributes: search.get('excludedAttributes') ?? undefined };
    return { p, attrs: attributeFilter(p) };
  };
  const notAllowed = (allow: string): Route => ({
    answer: { status: 405, body: scimErrorBody(405, `${method} is not supported on /${segments.join('/')}`), headers: { allow } },
  });
  if (id === undefined) {
    if (method === 'GET') {
      return { needsBody: false, write: false, handler: async (c) => ({ status: 200, body: await listResources(c, kind, listParams(search, MAX_RESULTS)) }) };
    }
    if (method === 'POST') {
      return {
        needsBody: true,
        write: true,
        handler: async (c) => created(kind === 'User' ? await createUser(c, c.body) : await createGroup(c, c.body)),
        ...(kind === 'User'
          ? {
              plan: (c: ScimContext, tenantId: SQL) => {
                const p = planCreateUser(c, c.body, tenantId);
                return p && { writes: p.writes, answer: created(p.answer) };
              },
              fallback: 'users_tenant_email_key',
            }
          : {}),
      };
    }
    return notAllowed('GET, POST');
  }
  if (id === '.search') {
    if (method !== 'POST') return notAllowed('POST');
    return {
      needsBody: true,
      write: false,
      handler: async (c) => {
        const b = (c.body ?? {}) as Record<string, unknown>;
        if (typeof b !== 'object' || Array.isArray(b)) throw new SCIMMY.Types.Error(400, 'invalidSyntax', 'A SearchRequest must be a JSON object');
        return { status: 200, body: await listResources(c, kind, listParams(b, MAX_RESULTS)) };
      },
    };
  }
  switch (method) {
    case 'GET':
      return {
        needsBody: false,
        write: false,
        handler: async (c) => {
          const { p, attrs } = attrsOf();
          const body = kind === 'User' ? await getUser(c, id, attrs) : await getGroup(c, id, attrs, !excludesMembers(attrs, p));
          return { status: 200, body };
        },
      };
    case 'PUT':
      return {
        needsBody: true,
        write: true,
        handler: async (c) => ({ status: 200, body: kind === 'User' ? await replaceUser(c, id, c.body) : await replaceGroup(c, id, c.body) }),
      };
    case 'PATCH':
      return {
        needsBody: true,
        write: true,
        handler: async (c) => {
          if (kind === 'User') return { status: 200, body: await patchUser(c, id, c.body) };
          const { p, attrs } = attrsOf();
          const want: Want = p.attributes || p.excludedAttributes ? { attrs, withMembers: !excludesMembers(attrs, p) } : null;
          const out = await patchGroup(c, id, c.body, want);
          return out ? { status: 200, body: out } : { status: 204 };
        },
      };
    case 'DELETE':
      return {
        needsBody: false,
        write: true,
        handler: async (c) => {
          if (kind === 'User') await deleteUser(c, id);
          else await deleteGroup(c, id);
          return { status: 204 };
        },
      };
  }
  return notAllowed('GET, PUT, PATCH, DELETE');
}

function uniquenessDetail(err: unknown): string {
  if (isUniqueViolation(err, 'scim_users_directory_user_name_key')) return 'userName already exists in this directory';
  if (isUniqueViolation(err, 'scim_groups_directory_display_name_key')) return 'a group with this displayName already exists in this directory';
  if (isUniqueViolation(err, 'users_tenant_email_key')) return 'this email already belongs to another user of this tenant';
  return 'the resource conflicts with an existing one';
}

/** Query parameters whose value is never logged: a client may send its token in the URL (refused). */
const SECRET_PARAM = /token|secret|password|key|auth/i;
const loggableSearch = (q: URLSearchParams) => {
  const kept = [...q].map(([k, v]) => `${encodeURIComponent(k)}=${SECRET_PARAM.test(k) ? '[redacted]' : encodeURIComponent(v)}`);
  return kept.length ? `?${kept.join('&')}` : '';
};

/** Handles `/{directoryId}/{...segments}` of the SCIM API. */
export async function handleScim(req: Request, directoryId: string, segments: string[]): Promise<Response> {
  const started = performance.now();
  const url = new URL(req.url);
  const method = req.method.toUpperCase();
  const path = `/${segments.join('/')}${loggableSearch(url.searchParams)}`;
  const meta = requestMeta(req);
  const token = bearerToken(req);
  let directory: Directory | null = null;
  let tenant: ScimTenant | null = null;
  const summary: string[] = [];

  /** This request's row of the directory's request log. */
  const entry = (status: number, outcome: ScimOutcome) => ({
    directoryId: directory!.id,
    tenantId: directory!.tenantId,
    method,
    path,
    status,
    outcome,
    summary: summary.join('; ') || null,
    ip: meta.ip ?? null,
    durationMs: performance.now() - started,
  });

  const finishLog = async (status: number, outcome: ScimOutcome) => {
    if (!directory) return;
    try {
      await logRequest(await getDb(), entry(status, outcome));
    } catch (err) {
      log('warn', 'scim request log write failed', { directoryId: directory.id, err });
    }
  };

  /** The 401: logged in the directory's request log and (at most once a minute) in the audit log. */
  const refuse = async (auth: Extract<AuthResult, { ok: false }>) => {
    directory = auth.directory;
    if (directory) {
      summary.length = 0;
      summary.push(`rejected: ${auth.reason.replace(/_/g, ' ')}`);
      const d = directory;
      const db = await getDb();
      await db
        .transaction(async (tx) => {
          await logRequest(tx, entry(401, 'unauthorized'));
          // One audit event per directory and minute at most (a misconfigured or hostile client
          // must not flood the append-only audit chain); every rejected request is in the log.
          const recent = await tx.execute(sql`
            select 1 from audit_events
            where tenant_id = ${d.tenantId} and occurred_at > now() - interval '60 seconds'
              and action = 'scim.request_rejected' and target_id = ${d.id}
            limit 1`);
          if (!(recent as unknown as { rows: unknown[] }).rows.length) {
            await record(tx, { ...meta, actor: { type: 'idp', id: null, label: `SCIM client of ${d.name}` } }, {
              tenantId: d.tenantId,
              action: 'scim.request_rejected',
              outcome: 'failure',
              target: { type: 'directory', id: d.id, label: d.name },
              reason: auth.reason,
              details: { method, path: path.slice(0, 300), note: "further rejections within 60 s are only in the directory's request log" },
            });
          }
        })
        .catch((err) => log('warn', 'could not record a rejected SCIM request', { directoryId: d.id, err }));
    }
    return errorResponse(401, REJECT_DETAIL[auth.reason], null, { 'www-authenticate': 'Bearer realm="SCIM"' });
  };

  // A create (see Plan) may start from the authentication this process accepted last for this
  // directory and token; it is then checked inside the create's one statement (authGuard). Until
  // the database has confirmed it, nothing else is answered on it: any other outcome first
  // authenticates afresh.
  let remembered: AuthOk | null = null;
  const authenticateAfresh = async (): Promise<Response | null> => {
    remembered = null;
    const auth = await authenticate(await getDb(), directoryId, token);
    if (!auth.ok) return refuse(auth);
    directory = auth.directory;
    tenant = auth.tenant;
    return null;
  };

  try {
    const db = await getDb();
    const base = scimUrl(directoryId);
    const r = route(method, segments.filter(Boolean), url.searchParams, base);
    remembered = 'plan' in r && r.plan ? recentlyAccepted(directoryId, token) : null;
    if (remembered) {
      directory = remembered.directory;
      tenant = remembered.tenant;
    } else {
      const refused = await authenticateAfresh();
      if (refused) return refused;
    }

    // U+0000 cannot be stored or searched for in PostgreSQL text.
    if ([...segments, ...url.searchParams.values()].some((v) => v.includes('\u0000'))) {
      throw new SCIMMY.Types.Error(400, 'invalidValue', 'The path and query must not contain the NUL character (U+0000)');
    }
    if ('answer' in r) {
      summary.push(r.answer.status < 400 ? `read ${segments.join('/')}` : `${segments.join('/') || '(base)'}: ${r.answer.status}`);
      await finishLog(r.answer.status, r.answer.status < 400 ? 'read' : outcomeOf(r.answer.status));
      return json(r.answer.status, r.answer.body, r.answer.headers);
    }

    let body: unknown;
    if (r.needsBody) {
      const text = await readBody(req);
      if (!text.trim()) throw new SCIMMY.Types.Error(400, 'invalidSyntax', 'The request body is empty; a JSON document is required');
      try {
        body = parseJson(text);
      } catch (e) {
        throw new SCIMMY.Types.Error(400, 'invalidSyntax', (e as Error).message);
      }
      // Keys are read as attribute paths: bounded like a PATCH path.
      const bad = textProblem(body, MAX_PATCH_PATH_LENGTH);
      if (bad) {
        const why = {
          nul: `${bad.path} must not contain the NUL character (U+0000)`,
          lone_surrogate: `${bad.path} must be Unicode text: it holds a lone surrogate (an unpaired \\uD800–\\uDFFF escape)`,
          long_key: `The body holds a key of ${bad.length} characters; at most ${MAX_PATCH_PATH_LENGTH} are accepted`,
        }[bad.problem];
        throw new SCIMMY.Types.Error(400, 'invalidValue', why);
      }
    }

    const auditCtx = (d: Directory): Ctx => ({ ...meta, actor: { type: 'directory', id: d.id, label: d.name } });

    if (r.plan) {
      // The common case in one statement (no BEGIN/COMMIT round trips): the change, its audit
      // events and the request-log row; nothing is stored unless all of it is.
      const dir = directory!;
      const audit = auditCtx(dir);
      const c: ScimContext = { tx: db as unknown as Tx, directory: dir, tenant: tenant!, base, audit, events: [], summary, outcome: 'created', body };
      const planned = r.plan(c, sql`(select tenant_id from auth)`);
      if (planned) {
        try {
          const writes = [...planned.writes, auditInsert(audit, c.events).statement];
          const statement = dialect.sqlToQuery(requestLogInsert(entry(planned.answer.status, c.outcome), writes, authGuard({ directory: dir, tenant: tenant! }, token!)));
          await (await dbHandle()).runPrepared(statement.sql, statement.params);
          return json(planned.answer.status, planned.answer.body, planned.answer.headers);
        } catch (err) {
          if (guardRefused(err)) {
            forgetAccepted(directoryId); // the token, the directory or the mappings changed
          } else {
            // Any other failure came after the guard held: the token is current.
            remembered = null;
            if (!isUniqueViolation(err, r.fallback)) throw err;
          }
        }
      }
      // The full path below, on an authentication the database has confirmed.
      if (remembered) {
        const refused = await authenticateAfresh();
        if (refused) return refused;
      }
    }
    const d = directory!;
    const t = tenant!;
    const audit = auditCtx(d);
    const answer = await transactionRetried(db, async (tx) => {
      summary.length = 0;
      // A change computes roles from the tenant's mappings as they are now, held until it commits.
      const held = r.write ? await heldTenant(tx, t.id) : null;
      const c: ScimContext = { tx, directory: d, tenant: held ?? t, base, audit, events: [], summary, outcome: r.write ? 'unchanged' : 'read', body };
      const out = await r.handler(c);
      // The audit events and the request-log row go in one statement; a change of very many users
      // writes its events but the last page first, a page a statement (lib/db/pages.ts).
      const early = c.events.slice(0, Math.max(0, c.events.length - PAGE_ROWS));
      await recordMany(tx, audit, early);
      await logRequest(tx, entry(out.status, c.outcome), auditInsert(audit, c.events.slice(early.length)).statement);
      return out;
    });
    maybePrune(db, d.id);
    return json(answer.status, answer.body, answer.headers);
  } catch (err) {
    if (remembered) {
      // A refused body or a failure before the database confirmed the token: answered only to a
      // token that is still current.
      const refused = await authenticateAfresh();
      if (refused) return refused;
    }
    if (err instanceof SCIMMY.Types.Error) {
      const e = err as InstanceType<typeof SCIMMY.Types.Error>;
      const status = Number(e.status) || 400;
      summary.push(e.message.slice(0, 300));
      await finishLog(status, outcomeOf(status));
      return errorResponse(status, e.message, e.scimType);
    }
    if (err instanceof AppError && err.status === 413) {
      summary.push('body over 1 MiB');
      await finishLog(413, 'too_large');
      return errorResponse(413, err.message);
    }
    if (isUniqueViolation(err)) {
      // A concurrent request took the name between our check and our write.
      const detail = uniquenessDetail(err);
      summary.push(detail);
      await finishLog(409, 'conflict');
      return errorResponse(409, detail, 'uniqueness');
    }
    const requestId = randomUUID();
    if (isDatabaseUnavailable(err)) {
      // As the operator API: 503 with Retry-After. A connection lost during the commit may have
      // stored the change, so the answer does not claim otherwise (a retried create that did
      // apply then finds its user, 409 uniqueness, and the IdP links to it).
      log('error', 'scim request failed: database unavailable', { requestId, directoryId, method, path: url.pathname, err });
      await finishLog(503, 'error').catch(() => {});
      return errorResponse(503, `The database is unavailable; the request may not have been applied. Retry shortly (request ${requestId})`, null, { 'retry-after': '5' });
    }
    log('error', 'scim request failed', { requestId, directoryId, method, path: url.pathname, err });
    summary.length = 0;
    summary.push(`internal error (request ${requestId}); nothing was stored`);
    await finishLog(500, 'error');
    return errorResponse(500, `Internal error; nothing was stored, please retry (request ${requestId})`);
  }
}
