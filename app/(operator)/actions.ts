'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { signOut } from '@/lib/auth/config';
import { ctxOf, requireOperator } from '@/lib/auth/guards';
import { createApiKey, revokeApiKey } from '@/lib/dal/api-keys';
import { createPortalLink, revokePortalLink } from '@/lib/dal/portal-links';
import { portalLinkCreateSchema } from '@/lib/validation/portal-links';
import { createTenant, deleteTenant, updateTenant } from '@/lib/dal/tenants';
import { apiKeyFormSchema, tenantEditFormSchema, tenantFormSchema } from '@/lib/validation/forms';
import { endSpKeyRollover, startSpKeyRollover } from '@/lib/sso/saml/sp-keys';
import { spKeyEndSchema } from '@/lib/validation/sp-keys';
import { updateBranding } from '@/lib/branding/branding';
import { brandingPatchSchema } from '@/lib/validation/branding';

const idSchema = z.object({ id: z.string().min(1).max(64) });

export async function createTenantAction(input: unknown) {
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(tenantFormSchema, input, async (v) => {
    const t = await createTenant(ctx, v);
    return { id: t.id, slug: t.slug };
  });
  if (r.ok) revalidatePath('/tenants');
  return r;
}

export async function updateTenantAction(id: string, input: unknown) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(tenantEditFormSchema, input, async (v) => {
    await updateTenant(ctx, id, v);
  });
  if (r.ok) revalidatePath(`/tenants/${id}`);
  return r;
}

export async function deleteTenantAction(id: string) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(idSchema, { id }, (v) => deleteTenant(ctx, v.id));
  if (!r.ok) return { error: r.error };
}

export async function createApiKeyAction(input: unknown) {
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(apiKeyFormSchema, input, async (v) => (await createApiKey(ctx, v.name)).key);
  if (r.ok) revalidatePath('/api-keys');
  return r;
}

export async function revokeApiKeyAction(id: string) {
  if (!plainArgs(id)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(idSchema, { id }, (v) => revokeApiKey(ctx, v.id));
  revalidatePath('/api-keys');
  return r.ok ? {} : { error: r.error };
}

export async function signOutAction() {
  await signOut({ redirectTo: '/login' });
}

/** A setup link for a customer's IT admin; its URL is answered this once. */
export async function createPortalLinkAction(tenantId: string, input: unknown) {
  if (!plainArgs(tenantId)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(portalLinkCreateSchema, input, async (v) => (await createPortalLink(ctx, tenantId, v)).url);
  if (r.ok) revalidatePath(`/tenants/${tenantId}`);
  return r;
}

export async function revokePortalLinkAction(tenantId: string, id: string) {
  if (!plainArgs(tenantId, id)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(idSchema, { id }, (v) => revokePortalLink(ctx, tenantId, v.id));
  revalidatePath(`/tenants/${tenantId}`);
  return r.ok ? {} : { error: r.error };
}

export async function startSpKeyRolloverAction() {
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(z.object({}), {}, () => startSpKeyRollover(ctx));
  revalidatePath('/service-provider');
  return r.ok ? {} : { error: r.error };
}

export async function endSpKeyRolloverAction(how: string) {
  if (!plainArgs(how)) return NOT_PLAIN;
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(spKeyEndSchema, { how }, (v) => endSpKeyRollover(ctx, v.how));
  revalidatePath('/service-provider');
  return r.ok ? {} : { error: r.error };
}

export async function updateBrandingAction(input: unknown) {
  const p = await requireOperator();
  const ctx = await ctxOf(p);
  const r = await runAction(brandingPatchSchema, input, async (v) => {
    await updateBranding(ctx, v);
  });
  if (r.ok) revalidatePath('/branding');
  return r;
}
