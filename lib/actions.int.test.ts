import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { SYSTEM } from '@/lib/audit/types';
import { createTenant } from '@/lib/dal/tenants';
import { uniqueDomain } from '@/lib/testing/api';
import { NOT_PLAIN, runAction } from './actions';

vi.mock('@/lib/auth/config', () => ({ auth: async () => ({ user: { id: 'op_test', email: 'op@example.com', kind: 'operator' }, sessionId: 'ses_op' }), signOut: async () => {}, signIn: async () => {} }));
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '198.51.100.7' }) }));
vi.mock('next/cache', () => ({ revalidatePath: () => {} }));

describe('server actions with values a form never sends', () => {
  it('an id checked inside the action (a ZodError) names the field', async () => {
    const r = await runAction(z.object({}), {}, async () => z.object({ id: z.string().max(4) }).parse({ id: 'too long' }));
    expect(r).toMatchObject({ ok: false, fieldErrors: { id: expect.any(String) } });
  });

  it('the operator console’s actions, called with a NUL in their id', async () => {
    const ops = await import('@/app/(operator)/actions');
    const apps = await import('@/app/(operator)/applications/actions');
    await createTenant(SYSTEM, { name: `Act ${uniqueDomain('act')}` });
    const results = {
      updateTenant: await ops.updateTenantAction('tnt_\u0000', { name: 'X', roles: 'member' }),
      createLink: await ops.createPortalLinkAction('tnt_\u0000', {}),
      updateApp: await apps.updateApplicationAction('app_\u0000', { name: 'A', redirectUris: 'https://a.example.com/cb' }),
      revokeLink: await ops.revokePortalLinkAction('tnt_\u0000', 'plk_x'),
    };
    for (const [k, r] of Object.entries(results)) expect(JSON.stringify(r), k).not.toMatch(/Something went wrong/);
  });

  it('an id that is not a string (a hand-made call) is refused before anything reads it, not thrown (a 500)', async () => {
    const ops = await import('@/app/(operator)/actions');
    const connections = await import('@/app/(tenant)/t/[slug]/connections/actions');
    const users = await import('@/app/(tenant)/t/[slug]/users/actions');
    const t = await createTenant(SYSTEM, { name: `Act ${uniqueDomain('act')}` });
    const hostile = { toString: 'x' } as unknown as string;
    expect(await connections.setConnectionStatusAction(t.slug, hostile, 'active', false)).toEqual(NOT_PLAIN);
    expect(await connections.liftConnectionLimitAction(t.slug, hostile)).toEqual(NOT_PLAIN);
    expect(await users.userAction(t.slug, hostile as never, 'usr_x')).toEqual(NOT_PLAIN);
    expect(await ops.updateTenantAction(42 as unknown as string, { name: 'X', roles: 'member' })).toEqual(NOT_PLAIN);
  });
});
