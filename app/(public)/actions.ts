'use server';
import { AuthError } from 'next-auth';
import { headers } from 'next/headers';
import { runAction, type ActionResult } from '@/lib/actions';
import { signIn } from '@/lib/auth/config';
import { createFirstOperator } from '@/lib/dal/operators';
import { requestMeta } from '@/lib/http/request-meta';
import { setupSchema, signInSchema } from '@/lib/validation/auth';

async function signInOperator(email: string, password: string, redirectTo: string): Promise<ActionResult> {
  try {
    await signIn('operator', { email, password, redirectTo });
  } catch (err) {
    if (err instanceof AuthError) {
      const throttled = (err as AuthError & { code?: string }).code === 'throttled';
      return { ok: false, error: throttled ? 'Too many failed attempts: wait a few minutes, then try again.' : 'Wrong email or password.' };
    }
    throw err; // the redirect on success
  }
  return { ok: true };
}

export async function signInAction(input: unknown): Promise<ActionResult> {
  const parsed = signInSchema.safeParse(input);
  if (!parsed.success) return { ok: false, error: 'Enter your email and password.' };
  return signInOperator(parsed.data.email, parsed.data.password, '/tenants');
}

export async function setupAction(input: unknown): Promise<ActionResult> {
  const result = await runAction(setupSchema, input, async (v) => {
    const ctx = requestMeta({ headers: await headers() });
    await createFirstOperator(ctx, v.email, v.password, v.token);
    return v;
  });
  if (!result.ok) return result;
  const v = result.data!;
  return signInOperator(v.email, v.password, '/tenants');
}
