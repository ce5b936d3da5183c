import 'server-only';
import { eq } from 'drizzle-orm';
import { changes, record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { tenants, type SignInPolicy } from '../db/schema';
import { AppError, forbidden, notFound } from '../errors';
import { ipAllowed, parseIp } from './cidr';
import { policyView, signInPolicyInputSchema, toStoredPolicy, type SignInPolicyView } from './schema';
import { holdsEveryScope } from '../auth/permissions';
import { lostAny, refuseShuttingOutAbove } from '../dal/console-access';

/** A tenant's stored sign-in policy (absent fields: no restriction); `{}` for an unknown tenant. */
export async function tenantPolicy(tenantId: string): Promise<SignInPolicy> {
  const db = await getDb();
  const [row] = await db.select({ p: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, tenantId));
  return row?.p ?? {};
}

export async function getSignInPolicy(tenantId: string): Promise<SignInPolicyView> {
  const db = await getDb();
  const [row] = await db.select({ p: tenants.signInPolicy }).from(tenants).where(eq(tenants.id, tenantId));
  if (!row) throw notFound('Tenant');
  return policyView(row.p);
}

/**
 * Replaces a tenant's sign-in policy (PUT semantics: a field left out is off), with one
 * `sign_in_policy.updated` audit event in the same transaction when anything changed.
 *
 * `keepConsoleAccessFor`: the address of a tenant admin saving from the console. A console
 * allowlist that would shut that admin out is refused (400), so nobody locks themselves out.
 */
export async function putSignInPolicy(
  ctx: Ctx,
  tenantId: string,
  input: unknown,
  opts: { keepConsoleAccessFor?: string | null | false } = {},
): Promise<SignInPolicyView> {
  const parsed = signInPolicyInputSchema.safeParse(input);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
    throw new AppError(400, 'invalid_input', `Invalid sign-in policy: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
  }
  const next = toStoredPolicy(parsed.data);
  if (opts.keepConsoleAccessFor !== undefined && opts.keepConsoleAccessFor !== false && next.consoleIpAllowlist?.length) {
    const ip = opts.keepConsoleAccessFor;
    if (!parseIp(ip)) {
      throw new AppError(400, 'would_lock_out', 'Your own address could not be determined, so a console allowlist cannot be saved from here.', [
        { path: 'consoleIpAllowlist', message: 'your own address is unknown; ask an operator to set this list' },
      ]);
    }
    if (!ipAllowed(next.consoleIpAllowlist, ip)) {
      const message = `your own address ${ip} is not in this list: saving it would lock you out of the console`;
      throw new AppError(400, 'would_lock_out', `The console allowlist must include your own address (${ip}).`, [{ path: 'consoleIpAllowlist', message }]);
    }
  }
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [row] = await tx.select({ p: tenants.signInPolicy, name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId)).for('update');
    if (!row) throw notFound('Tenant');
    const before = policyView(row.p);
    const after = policyView(next);
    // The console allowlist can shut out every admin: only one who holds every section sets it.
    if (!holdsEveryScope(ctx.consoleScopes) && [...before.consoleIpAllowlist].sort().join() !== [...after.consoleIpAllowlist].sort().join()) {
      throw forbidden('consoleIpAllowlist', 'only an admin who holds every section of this console may change its IP allowlist');
    }
    // So can the sign-in allowlist and MFA, for admins above a narrower one (loosening cannot).
    // (An empty allowlist admits every address: one made, or one that lost a range, admits fewer.)
    if (after.ipAllowlist.length && (!before.ipAllowlist.length || lostAny(before.ipAllowlist, after.ipAllowlist))) {
      await refuseShuttingOutAbove(tx, ctx, tenantId, 'ipAllowlist');
    }
    if (after.requireMfa && !before.requireMfa) await refuseShuttingOutAbove(tx, ctx, tenantId, 'requireMfa');
    await tx.update(tenants).set({ signInPolicy: next, updatedAt: new Date() }).where(eq(tenants.id, tenantId));
    const diff = changes(before, after);
    if (diff) {
      await record(tx, ctx, {
        tenantId,
        action: 'sign_in_policy.updated',
        target: { type: 'tenant', id: tenantId, label: row.name },
        details: diff,
      });
    }
    return after;
  });
}
