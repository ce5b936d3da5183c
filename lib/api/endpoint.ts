import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Ctx } from '../audit/types';
import { authenticateApiKey, type KeyPrincipal } from '../dal/api-keys';
import { AppError, isDatabaseUnavailable, type FieldError } from '../errors';
import { requestMeta } from '../http/request-meta';
import { log } from '../log';
import { readJson, refuseNul } from './body';
import { problem } from './problem';
import { hstsHeader } from '../http/html';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One operation of the operator API: its shape, used both to validate requests and to write openapi.json. */
export type Endpoint<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> = {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The handler validates the body itself (with a schema that needs the tenant, e.g. its roles),
   * so that every problem is reported at once; `body` then only documents the shape.
   */
  bodyValidatedByHandler?: boolean;
  response?: z.ZodType;
  /** A streamed answer's media types (the answer is not JSON). */
  streams?: string[];
  status: number;
};

export const endpoint = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(e: Endpoint<P, Q, B>) => e;

type Infer<T> = NonNullable<T> extends z.ZodType ? z.output<NonNullable<T>> : undefined;

export type Handler<E extends Endpoint> = (input: {
  params: Infer<E['params']>;
  query: Infer<E['query']>;
  body: Infer<E['body']>;
  ctx: Ctx;
  key: KeyPrincipal;
  req: Request;
}) => Promise<unknown>;

export function zodErrors(err: z.ZodError, prefix?: string): FieldError[] {
  const at = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(root)';
  // An unknown field is named itself, not the object that holds it.
  return err.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: at([...i.path, k]), message: 'unknown field' })) : [{ path: at(i.path), message: i.message }],
  );
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string, prefix?: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const errors = zodErrors(r.error, prefix);
    throw new AppError(400, 'invalid_input', `Invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  }
  return r.data;
}

function bearer(req: Request): string | null {
  const h = req.headers.get('authorization');
  const m = h?.match(/^Bearer\s+(\S+)\s*$/i);
  return m ? m[1] : null;
}

/**
 * Wraps an operator API route: bearer key → params/query/body parsed by the endpoint's schemas →
 * handler → JSON. Typed errors become problem+json; anything else a 500 with a request id only.
 */
export function handle<E extends Endpoint>(e: E, fn: Handler<E>) {
  return async (req: Request, route: { params: Promise<Record<string, string>> }): Promise<Response> => {
    const res = await answer(req, route);
    const hsts = hstsHeader();
    if (hsts) {
      try {
        res.headers.set('strict-transport-security', hsts);
      } catch {
        /* an immutable answer (a redirect) */
      }
    }
    return res;
  };
  async function answer(req: Request, route: { params: Promise<Record<string, string>> }): Promise<Response> {
    const requestId = randomUUID();
    try {
      const token = bearer(req);
      const key = token ? await authenticateApiKey(token) : null;
      if (!key) {
        return problem(401, 'A valid operator API key is required (Authorization: Bearer <key>)', {
          code: 'unauthorized',
          requestId,
          headers: { 'www-authenticate': 'Bearer' },
        });
      }
      // U+0000 cannot be stored (or searched for) in PostgreSQL text: refused up front, by field.
      const rawParams = await route.params;
      const rawQuery = Object.fromEntries(new URL(req.url).searchParams);
      refuseNul(rawParams, '');
      refuseNul(rawQuery, '');
      const params = e.params ? parse(e.params, rawParams, 'path parameters') : undefined;
      const query = e.query ? parse(e.query, rawQuery, 'query parameters') : undefined;
      const raw = e.body ? await readJson(req) : undefined;
      refuseNul(raw, '');
      const body = e.body && !e.bodyValidatedByHandler ? parse(e.body, raw, 'request body') : raw;
      const ctx: Ctx = { ...requestMeta(req), actor: { type: 'operator', id: key.keyId, label: `api key: ${key.label}` } };
      const result = await fn({ params, query, body, ctx, key, req } as Parameters<Handler<E>>[0]);
      if (result instanceof Response) return result;
      if (e.status === 204) return new Response(null, { status: 204 });
      return Response.json(result, { status: e.status });
    } catch (err) {
      if (err instanceof AppError) {
        return problem(err.status, err.message, { code: err.code, errors: err.errors, requestId });
      }
      if (isDatabaseUnavailable(err)) {
        log('error', 'database unavailable', { requestId, err });
        return problem(503, 'The database is unavailable; retry shortly (GET /api/health says why)', {
          code: 'unavailable',
          requestId,
          headers: { 'retry-after': '5' },
        });
      }
      log('error', 'api request failed', { requestId, method: req.method, path: new URL(req.url).pathname, err });
      return problem(500, 'Internal error; quote the request id when reporting it', { code: 'internal', requestId });
    }
  };
}
