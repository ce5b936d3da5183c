import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@/lib/api/openapi';

describe('openapi.json lists the directory endpoints', () => {
  it('with their paths, methods and schemas', () => {
    const doc = openApiDocument('http://localhost:3000') as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/tenants/{tenantId}/directories'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/tenants/{tenantId}/directories/{directoryId}/token']).toHaveProperty('post');
    expect(doc.paths['/tenants/{tenantId}/directories/{directoryId}/requests']).toHaveProperty('get');
    expect(JSON.stringify(doc.paths['/tenants/{tenantId}/directories'])).toContain('bearerToken');
  });
});
