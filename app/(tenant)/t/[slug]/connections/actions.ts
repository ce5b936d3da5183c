'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { createConnection, deleteConnection, liftConnectionLimit, updateConnection } from '@/lib/dal/connections';
import { GUIDES, isProviderId, type ProviderId } from '@/lib/sso/connections/guides';
import { connectionCreateSchema, connectionPatchSchema } from '@/lib/validation/connections';

const id = z.string().min(1).max(64);
const settingsSchema = connectionPatchSchema.pick({ name: true, allowIdpInitiated: true, requireMfa: true, trustUnverifiedEmail: true, requireEncryptedAssertions: true });
const statusSchema = connectionPatchSchema.pick({ status: true, force: true }).required({ status: true });

async function guard(slug: string) {
  const { principal, tenant } = await requireTenant(slug, 'sso');
  return { tenant, ctx: await ctxOf(principal) };
}

function done(slug: string, connectionId?: string) {
  revalidatePath(`/t/${slug}/connections`);
  if (connectionId) revalidatePath(`/t/${slug}/connections/${connectionId}`);
}

/** The console creates drafts: they serve only test sign-ins until an admin activates them. */
export async function createDraftConnectionAction(slug: string, provider: ProviderId, input: unknown) {
  if (!plainArgs(slug, provider)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const name = isProviderId(provider) ? GUIDES[provider].name : undefined;
  const r = await runAction(connectionCreateSchema, input, async (v) => (await createConnection(ctx, tenant.id, { name, ...v, status: 'draft' })).id);
  if (r.ok) done(slug);
  return r;
}

export async function updateConnectionSettingsAction(slug: string, connectionId: string, input: unknown) {
  if (!plainArgs(slug, connectionId)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(settingsSchema, input, async (v) => {
    await updateConnection(ctx, tenant.id, id.parse(connectionId), v);
  });
  if (r.ok) done(slug, connectionId);
  return r;
}

/** Activate (a draft only with `force`, after the console's confirmation) or move back to draft. */
export async function setConnectionStatusAction(slug: string, connectionId: string, status: unknown, force: unknown) {
  if (!plainArgs(slug, connectionId)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(statusSchema, { status, force }, async (v) => {
    await updateConnection(ctx, tenant.id, id.parse(connectionId), v);
  });
  done(slug, connectionId);
  return r;
}

/** Deletes from the connection's page (the button then goes back to the list). */
export async function deleteConnectionFromPageAction(slug: string, connectionId: string) {
  if (!plainArgs(slug, connectionId)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(id, connectionId, (v) => deleteConnection(ctx, tenant.id, v));
  done(slug);
  if (!r.ok) return { error: r.error };
}

/** Lifts the connection's limit (only an admin holding every section, or an operator; the DAL checks). */
export async function liftConnectionLimitAction(slug: string, connectionId: string) {
  if (!plainArgs(slug, connectionId)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(id, connectionId, async (v) => {
    await liftConnectionLimit(ctx, tenant.id, v);
  });
  done(slug, connectionId);
  return r.ok ? {} : { error: r.error };
}
