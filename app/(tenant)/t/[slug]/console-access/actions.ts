'use server';
import { revalidatePath } from 'next/cache';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { putConsoleAccess } from '@/lib/dal/console-access';
import { consoleAccessInputSchema } from '@/lib/validation/console-access';

/** Saves which roles open the console; putConsoleAccess refuses a holder of fewer than every section. */
export async function saveConsoleAccessAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug);
  const ctx = await ctxOf(principal);
  const r = await runAction(consoleAccessInputSchema, input, (v) => putConsoleAccess(ctx, tenant.id, v));
  if (r.ok) revalidatePath(`/t/${slug}/console-access`);
  return r;
}
