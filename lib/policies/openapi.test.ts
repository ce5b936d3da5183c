import { describe, expect, it } from 'vitest';
import { openApiDocument } from '@/lib/api/openapi';

describe('openapi.json lists the sign-in policy endpoints', () => {
  it('GET and PUT under the Policies tag, with the policy fields', () => {
    const doc = openApiDocument('http://localhost:3000') as { paths: Record<string, Record<string, { tags?: string[] }>> };
    const p = doc.paths['/tenants/{tenantId}/sign-in-policy'];
    expect(p.get.tags).toEqual(['Policies']);
    expect(p.put.tags).toEqual(['Policies']);
    const text = JSON.stringify(p);
    for (const f of ['requireMfa', 'ipAllowlist', 'consoleIpAllowlist', 'sessionMaxAgeSeconds', 'sessionIdleSeconds']) expect(text).toContain(f);
  });
});
