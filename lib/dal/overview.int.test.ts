import { describe, expect, it } from 'vitest';
import { samlSignIn, samlTenant } from '@/lib/testing/sso';
import { findTenant } from './tenants';
import { tenantSetupState } from './overview';

const ALL = { domains: true, sso: true, directories: true, auditLog: true };
const NONE = { domains: false, sso: false, directories: false, auditLog: false };

describe('the tenant overview', () => {
  it('reads the real state: an active connection, the domain, recent sign-ins', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await samlSignIn(idp, `ada@${domain}`);
    const state = await tenantSetupState((await findTenant({ id: tenant.id }))!, ALL);
    expect(state.domains).toEqual([{ domain, trusted: true }]);
    expect(state.connections).toEqual([expect.objectContaining({ status: 'active', verdict: null })]);
    expect(state.recentSignIns).toEqual([expect.objectContaining({ ok: true })]);
  });

  it('neither reads nor returns what the visitor’s console scopes do not open', async () => {
    const { tenant, idp, domain } = await samlTenant();
    await samlSignIn(idp, `grace@${domain}`);
    const state = await tenantSetupState((await findTenant({ id: tenant.id }))!, NONE);
    expect(state).toEqual({ domains: [], connections: [], directories: [], applications: { configured: 0, signInsLast30Days: 0 }, recentSignIns: [] });
  });
});
