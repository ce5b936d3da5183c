'use server';
import { revalidatePath } from 'next/cache';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { setProvisioning } from '@/lib/dal/tenants';
import { provisioningFormSchema } from '@/lib/validation/forms';

export async function saveProvisioningAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  const r = await runAction(provisioningFormSchema, input, (v) => setProvisioning(ctx, tenant.id, v));
  if (r.ok) revalidatePath(`/t/${slug}/provisioning`);
  return r;
}
