import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi';

type Op = { requestBody?: { required: boolean; content: Record<string, { schema: { additionalProperties?: unknown } }> }; responses: Record<string, { content?: Record<string, unknown> }> };
const doc = openApiDocument('http://localhost:3000') as { paths: Record<string, Record<string, Op>>; components: { schemas: { Problem: { properties: Record<string, unknown> } } } };
const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));

describe('openapi.json says what the API answers (a client validating against it finds no surprise)', () => {
  it('the exports name their media types', () => {
    expect(Object.keys(doc.paths['/tenants/{tenantId}/audit-logs/export'].get.responses['200'].content!)).toEqual(['text/csv', 'application/x-ndjson']);
    expect(Object.keys(doc.paths['/tenants/{tenantId}/access-review/export'].get.responses['200'].content!)).toEqual(['text/csv']);
  });

  it('every operation describes any other refusal (503, a conflict on delete, a delivery gone) as a problem', () => {
    for (const op of ops) expect(Object.keys(op.responses.default.content!)).toEqual(['application/problem+json']);
    expect(doc.components.schemas.Problem.properties).toHaveProperty('requestId');
  });

  it('a body is required only where an empty one is refused', () => {
    expect(doc.paths['/tenants'].post.requestBody!.required).toBe(true);
    expect(doc.paths['/tenants/{tenantId}/portal-links'].post.requestBody!.required).toBe(false);
    expect(doc.paths['/tenants/{tenantId}/role-mappings'].put.requestBody!.required).toBe(true);
  });

  it('a webhook’s changes allow no field the API refuses', () => {
    for (const path of ['/tenants/{tenantId}/webhooks/{webhookId}', '/webhooks/{webhookId}']) {
      expect(doc.paths[path].patch.requestBody!.content['application/json'].schema.additionalProperties).toBe(false);
    }
  });

  it('a SAML connection names exactly one of its metadata fields', () => {
    const body = JSON.stringify(doc.paths['/tenants/{tenantId}/connections'].post.requestBody!.content['application/json'].schema);
    expect(body).toContain('"oneOf":[{"required":["metadataXml"]},{"required":["metadataUrl"]}]');
  });
});
