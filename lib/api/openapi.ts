import { z } from 'zod';
import type { Endpoint } from './endpoint';
import { api } from './endpoints';

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['path', 'message'], properties: { path: { type: 'string' }, message: { type: 'string' } } },
    },
    requestId: { type: 'string', description: 'Names the request in the portal’s log' },
  },
};

const json = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

function parameters(e: Endpoint) {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', e.params], ['query', e.query]] as const) {
    if (!schema) continue;
    const js = json(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

/** An empty POST or PATCH body reads as `{}` (lib/api/body.ts): there, required only where `{}` is refused. */
function requestBody(e: Endpoint) {
  const required = e.method === 'PUT' || !e.body!.safeParse({}).success;
  return { required, content: { 'application/json': { schema: json(e.body!, 'input') } } };
}

/** The OpenAPI 3.1 document, made from the same zod schemas the routes validate with. */
export function openApiDocument(publicUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, e] of Object.entries(api) as [string, Endpoint][]) {
    const errors = { description: 'Problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    paths[e.path] ??= {};
    paths[e.path][e.method.toLowerCase()] = {
      operationId,
      summary: e.summary,
      tags: [e.tag],
      parameters: parameters(e),
      ...(e.body ? { requestBody: requestBody(e) } : {}),
      responses: {
        [e.status]: e.response
          ? { description: 'OK', content: { 'application/json': { schema: json(e.response, 'output') } } }
          : e.streams
            ? { description: 'OK, streamed', content: Object.fromEntries(e.streams.map((t) => [t, { schema: { type: 'string' } }])) }
            : { description: 'No content' },
        400: errors,
        401: errors,
        ...(e.params ? { 404: errors } : {}),
        ...(e.method === 'POST' || e.method === 'PATCH' || e.method === 'PUT' ? { 409: errors, 413: errors } : {}),
        // Any other refusal (a conflict on delete, a delivery gone, the database unavailable: 503).
        default: errors,
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'SSO admin portal — operator API', version: '1' },
    servers: [{ url: `${publicUrl}/api/v1` }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
