import { describe, expect, it, vi } from 'vitest';
import { SYSTEM } from '@/lib/audit/types';
import { createTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';

// A signed-in setup-link admin of one tenant (the session Auth.js would give).
const session = { current: null as unknown };
vi.mock('@/lib/auth/config', () => ({ auth: async () => session.current }));
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '198.51.100.7' }) }));

const { tenantAccess } = await import('./guards');

describe('the tenant console guard', () => {
  it('answers not found for a slug that is not one (a NUL made the database refuse the query: a 500)', async () => {
    const tenant = await createTenant(SYSTEM, { name: `Guard ${uniqueDomain('g')}` });
    session.current = { user: { id: 'plk_guard', email: '', kind: 'portal_link', tenantId: tenant.id, scopes: ['sso'] }, sessionId: 'ses_guard' };
    expect(await tenantAccess(tenant.slug, 'sso', null)).toMatchObject({ ok: true });
    for (const slug of [`${tenant.slug}\u0000`, 'x\u0000', 'A'.repeat(5000), `${tenant.slug}/..`, '']) {
      expect(await tenantAccess(slug, 'sso', null), JSON.stringify(slug.slice(0, 20))).toEqual({ ok: false, why: 'not_found' });
    }
  });
});
