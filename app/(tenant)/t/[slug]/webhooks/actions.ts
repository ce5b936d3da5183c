'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { createWebhook, deleteWebhook, resendDelivery, rotateWebhookSecret, sendTestEvent, updateWebhook } from '@/lib/dal/webhooks';
import { webhookEditFormSchema, webhookFormSchema } from '@/lib/webhooks/validation';

/** The tenant console's webhook actions: the tenant comes from the guard, never from the client. */

const id = z.string().min(1).max(64);

async function guard(slug: string) {
  const { principal, tenant } = await requireTenant(slug, 'audit_log');
  return { ctx: await ctxOf(principal), scope: { tenantId: tenant.id } };
}

export async function createWebhookAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(webhookFormSchema, input, async (v) => {
    const w = await createWebhook(ctx, scope, { ...v, description: v.description || null });
    return { id: w.id, url: w.url, secret: w.secret };
  });
  if (r.ok) revalidatePath(`/t/${slug}/webhooks`);
  return r;
}

export async function updateWebhookAction(slug: string, webhookId: string, input: unknown) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(webhookEditFormSchema, input, async (v) => {
    await updateWebhook(ctx, scope, webhookId, { url: v.url, events: v.events, description: v.description || null });
  });
  if (r.ok) revalidatePath(`/t/${slug}/webhooks/${webhookId}`);
  return r;
}

export async function setWebhookEnabledAction(slug: string, webhookId: string, enabled: unknown) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(z.boolean(), enabled, async (v) => {
    await updateWebhook(ctx, scope, webhookId, { enabled: v });
  });
  revalidatePath(`/t/${slug}/webhooks/${webhookId}`);
  return r;
}

export async function sendTestEventAction(slug: string, webhookId: string) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(id, webhookId, (v) => sendTestEvent(ctx, scope, v));
  revalidatePath(`/t/${slug}/webhooks/${webhookId}`);
  return r;
}

export async function resendDeliveryAction(slug: string, webhookId: string, deliveryId: unknown) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(id, deliveryId, (v) => resendDelivery(ctx, scope, webhookId, v));
  revalidatePath(`/t/${slug}/webhooks/${webhookId}`);
  return r;
}

export async function rotateWebhookSecretAction(slug: string, webhookId: string) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  return runAction(id, webhookId, async (v) => (await rotateWebhookSecret(ctx, scope, v)).secret);
}

export async function deleteWebhookAction(slug: string, webhookId: string) {
  if (!plainArgs(slug, webhookId)) return NOT_PLAIN;
  const { ctx, scope } = await guard(slug);
  const r = await runAction(id, webhookId, (v) => deleteWebhook(ctx, scope, v));
  revalidatePath(`/t/${slug}/webhooks`);
  return r.ok ? {} : { error: r.error };
}
