import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@/lib/api/openapi';

describe('openapi.json lists the certificate, metadata and domain-trust additions', () => {
  it('with their paths, methods and schemas', () => {
    const doc = openApiDocument('http://localhost:3000') as { paths: Record<string, Record<string, unknown>> };
    const base = '/tenants/{tenantId}/connections/{connectionId}';
    expect(doc.paths[`${base}/certificates`]).toHaveProperty('post');
    expect(doc.paths[`${base}/certificates/{fingerprintSha256}`]).toHaveProperty('delete');
    expect(doc.paths[`${base}/metadata`]).toHaveProperty('get');
    for (const op of ['refresh', 'approve', 'reject']) expect(doc.paths[`${base}/metadata/${op}`]).toHaveProperty('post');
    expect(JSON.stringify(doc.paths[`${base}/metadata`])).toContain('pending');
    const domains = JSON.stringify(doc.paths['/tenants/{tenantId}/domains']);
    expect(domains).toContain('addedBy');
    expect(domains).toContain('trusted');
  });
});
