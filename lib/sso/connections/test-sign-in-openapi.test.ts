import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@/lib/api/openapi';

describe('openapi.json lists the connection lifecycle and test additions', () => {
  it('PATCH of a connection, its test link, and the additive connection fields', () => {
    const doc = openApiDocument('http://localhost:3000') as { paths: Record<string, Record<string, unknown>> };
    const base = '/tenants/{tenantId}/connections/{connectionId}';
    expect(doc.paths[base]).toHaveProperty('patch');
    expect(doc.paths[`${base}/test`]).toHaveProperty('post');
    const one = JSON.stringify(doc.paths[base]);
    for (const field of ['status', 'lastTest', 'testedAt', 'requireMfa', 'force']) expect(one).toContain(field);
  });
});
