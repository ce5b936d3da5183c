'use server';
import { revalidatePath } from 'next/cache';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { signInPolicyInputSchema } from '@/lib/policies/schema';
import { putSignInPolicy } from '@/lib/policies/store';

export async function saveSignInPolicyAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  // A tenant admin may not save a console allowlist that shuts out their own address; operators are not bound by it.
  const keepConsoleAccessFor = principal.kind === 'tenant_admin' ? (ctx.ip ?? null) : false;
  const r = await runAction(signInPolicyInputSchema, input, (v) => putSignInPolicy(ctx, tenant.id, v, { keepConsoleAccessFor }));
  if (r.ok) revalidatePath(`/t/${slug}/sign-in-policy`);
  return r;
}
