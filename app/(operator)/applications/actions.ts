'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { rotateSigningKeysNow } from '@/lib/applications/provider';
import { createApplication, deleteApplication, rotateApplicationSecret, updateApplication } from '@/lib/applications/registry';
import { ctxOf, requireOperator } from '@/lib/auth/guards';
import { applicationFormSchema } from '@/lib/validation/applications';

const idSchema = z.object({ id: z.string().min(1).max(64) });

export async function createApplicationAction(input: unknown) {
  const ctx = await ctxOf(await requireOperator());
  const r = await runAction(applicationFormSchema, input, async (v) => {
    const app = await createApplication(ctx, v);
    return { clientId: app.clientId, clientSecret: app.clientSecret };
  });
  if (r.ok) revalidatePath('/applications');
  return r;
}

export async function updateApplicationAction(id: string, input: unknown) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const ctx = await ctxOf(await requireOperator());
  const r = await runAction(applicationFormSchema, input, async (v) => {
    const { type: _type, ...patch } = v;
    await updateApplication(ctx, id, patch);
  });
  if (r.ok) revalidatePath(`/applications/${id}`);
  return r;
}

export async function rotateApplicationSecretAction(id: string) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const ctx = await ctxOf(await requireOperator());
  return runAction(idSchema, { id }, async (v) => (await rotateApplicationSecret(ctx, v.id)).clientSecret);
}

export async function deleteApplicationAction(id: string) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const ctx = await ctxOf(await requireOperator());
  const r = await runAction(idSchema, { id }, (v) => deleteApplication(ctx, v.id));
  if (!r.ok) return { error: r.error };
}

/** The OpenID Provider's signing keys rotated on demand (as POST /api/v1/oidc/signing-keys/rotate). */
export async function rotateSigningKeysAction() {
  const ctx = await ctxOf(await requireOperator());
  const r = await runAction(z.object({}), {}, () => rotateSigningKeysNow(ctx));
  revalidatePath('/applications');
  return r.ok ? {} : { error: r.error };
}
