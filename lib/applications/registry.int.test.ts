import { describe, expect, it, vi } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';

/**
 * Next.js bundles a module once per server chunk: the API route that changes an application and
 * the provider's routes that read it may hold two copies of this module. What one copy remembers
 * of an application (for a moment, CLIENT_REUSE_MS) must be forgotten when another changes it.
 */
describe('the applications a process remembers for a moment', () => {
  it('a change made through one copy of the module is seen at once by another (a redirect URI taken out, the secret rotated, the application deleted)', async () => {
    const reader = await import('./registry');
    const made = await reader.createApplication(SYSTEM, { name: 'Two copies', redirectUris: ['https://one.example.test/cb', 'https://two.example.test/cb'] });
    expect((await reader.applicationByClientId(made.clientId))?.redirectUris).toHaveLength(2);
    vi.resetModules();
    const writer = await import('./registry');
    expect(writer).not.toBe(reader);
    await writer.updateApplication(SYSTEM, made.id, { redirectUris: ['https://two.example.test/cb'] });
    expect((await reader.applicationByClientId(made.clientId))?.redirectUris).toEqual(['https://two.example.test/cb']);
    const before = (await reader.applicationByClientId(made.clientId))?.secretHash;
    await writer.rotateApplicationSecret(SYSTEM, made.id);
    expect((await reader.applicationByClientId(made.clientId))?.secretHash).not.toBe(before);
    await writer.deleteApplication(SYSTEM, made.id);
    expect(await reader.applicationByClientId(made.clientId)).toBeNull();
  });
});
