'use server';
import { revalidatePath } from 'next/cache';
import { setInactivityPolicy } from '@/lib/access-review/inactivity';
import { bulkSuspendSchema, inactivityPolicySchema } from '@/lib/access-review/validation';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { suspendUsers } from '@/lib/dal/users';

/** Suspends the selected users of this tenant together (one transaction; sessions end at once). */
export async function bulkSuspendAction(slug: string, userIds: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  const r = await runAction(bulkSuspendSchema, { userIds }, (v) => suspendUsers(ctx, tenant.id, v.userIds));
  revalidatePath(`/t/${slug}/access-review`);
  revalidatePath(`/t/${slug}/users`);
  return r.ok ? { suspended: r.data!.suspended } : { error: r.error };
}

/** Sets (1–3650 days) or turns off (null) the tenant's inactivity policy. */
export async function inactivityPolicyAction(slug: string, inactivityDays: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  const r = await runAction(inactivityPolicySchema, { inactivityDays }, (v) => setInactivityPolicy(ctx, tenant.id, v));
  if (r.ok) revalidatePath(`/t/${slug}/access-review`);
  return r;
}
