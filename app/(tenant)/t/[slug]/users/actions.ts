'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { deleteUser, reactivateUser, suspendUser } from '@/lib/dal/users';

const id = z.string().min(1).max(64);
const ops = { suspend: suspendUser, reactivate: reactivateUser, delete: deleteUser } as const;

/** Suspend (ends the user's sessions at once), reactivate or delete one user of this tenant. */
export async function userAction(slug: string, op: keyof typeof ops, userId: string) {
  if (!plainArgs(slug, op, userId)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  if (!Object.hasOwn(ops, op)) return { error: 'unknown action' }; // a server action's arguments come from the client
  const ctx = await ctxOf(principal);
  const r = await runAction(id, userId, async (v) => {
    await ops[op](ctx, tenant.id, v);
  });
  revalidatePath(`/t/${slug}/users`);
  return r.ok ? {} : { error: r.error };
}
