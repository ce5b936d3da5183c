'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireOperator } from '@/lib/auth/guards';
import { createWebhook, deleteWebhook, resendDelivery, rotateWebhookSecret, sendTestEvent, updateWebhook } from '@/lib/dal/webhooks';
import { webhookEditFormSchema, webhookFormSchema } from '@/lib/webhooks/validation';

/** The operator console's actions on operator-wide endpoints (every tenant's events). */

const id = z.string().min(1).max(64);
const scope = { tenantId: null };

async function guard() {
  return ctxOf(await requireOperator());
}

export async function createWebhookAction(input: unknown) {
  const ctx = await guard();
  const r = await runAction(webhookFormSchema, input, async (v) => {
    const w = await createWebhook(ctx, scope, { ...v, description: v.description || null });
    return { id: w.id, url: w.url, secret: w.secret };
  });
  if (r.ok) revalidatePath('/webhooks');
  return r;
}

export async function updateWebhookAction(webhookId: string, input: unknown) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  const r = await runAction(webhookEditFormSchema, input, async (v) => {
    await updateWebhook(ctx, scope, webhookId, { url: v.url, events: v.events, description: v.description || null });
  });
  if (r.ok) revalidatePath(`/webhooks/${webhookId}`);
  return r;
}

export async function setWebhookEnabledAction(webhookId: string, enabled: unknown) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  const r = await runAction(z.boolean(), enabled, async (v) => {
    await updateWebhook(ctx, scope, webhookId, { enabled: v });
  });
  revalidatePath(`/webhooks/${webhookId}`);
  return r;
}

export async function sendTestEventAction(webhookId: string) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  const r = await runAction(id, webhookId, (v) => sendTestEvent(ctx, scope, v));
  revalidatePath(`/webhooks/${webhookId}`);
  return r;
}

export async function resendDeliveryAction(webhookId: string, deliveryId: unknown) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  const r = await runAction(id, deliveryId, (v) => resendDelivery(ctx, scope, webhookId, v));
  revalidatePath(`/webhooks/${webhookId}`);
  return r;
}

export async function rotateWebhookSecretAction(webhookId: string) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  return runAction(id, webhookId, async (v) => (await rotateWebhookSecret(ctx, scope, v)).secret);
}

export async function deleteWebhookAction(webhookId: string) {
  if (!plainArgs(webhookId)) return NOT_PLAIN;
  const ctx = await guard();
  const r = await runAction(id, webhookId, (v) => deleteWebhook(ctx, scope, v));
  revalidatePath('/webhooks');
  return r.ok ? {} : { error: r.error };
}
