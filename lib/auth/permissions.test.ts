import { describe, expect, it } from 'vitest';
import { actorOf, canAccessTenant, canManagePortal, type Principal } from './permissions';

const operator: Principal = { kind: 'operator', id: 'op_1', email: 'op@example.com', sessionId: 's1' };
const admin: Principal = {
  kind: 'tenant_admin',
  id: 'usr_1',
  email: 'it@acme.com',
  tenantId: 'tnt_a',
  sessionId: 's2',
  scopes: ['sso', 'audit_log'],
};

describe('permissions', () => {
  it.each([
    ['operator, any tenant', operator, 'tnt_b', undefined, true],
    ['operator, any scope', operator, 'tnt_b', 'domains', true],
    ['admin, own tenant', admin, 'tnt_a', undefined, true],
    ['admin, own tenant, granted scope', admin, 'tnt_a', 'sso', true],
    ['admin, own tenant, other scope', admin, 'tnt_a', 'role_mappings', false],
    ['admin, other tenant', admin, 'tnt_b', undefined, false],
    ['admin, other tenant, granted scope', admin, 'tnt_b', 'sso', false],
    ['nobody', null, 'tnt_a', undefined, false],
  ] as const)('%s', (_name, p, tenantId, scope, expected) => {
    expect(canAccessTenant(p, tenantId, scope)).toBe(expected);
  });

  it('only operators manage the portal', () => {
    expect(canManagePortal(operator)).toBe(true);
    expect(canManagePortal(admin)).toBe(false);
    expect(canManagePortal(null)).toBe(false);
  });

  it('maps principals to audit actors', () => {
    expect(actorOf(operator)).toEqual({ type: 'operator', id: 'op_1', label: 'op@example.com' });
    expect(actorOf(admin)).toEqual({ type: 'admin', id: 'usr_1', label: 'it@acme.com' });
  });
});
