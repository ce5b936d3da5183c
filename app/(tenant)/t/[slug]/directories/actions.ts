'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { createDirectory, deleteDirectory, liftDirectoryLimit, revokeDirectoryToken, rotateDirectoryToken } from '@/lib/dal/directories';
import { directoryCreateSchema } from '@/lib/validation/directories';

const idSchema = z.string().min(1).max(64);

/** Creates a directory; the answer carries its bearer token, which the page shows once. */
export async function createDirectoryAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const ctx = await ctxOf(principal);
  const r = await runAction(directoryCreateSchema, input, async (v) => {
    const d = await createDirectory(ctx, tenant.id, v);
    return { id: d.id, name: d.name, scimUrl: d.scimUrl, bearerToken: d.bearerToken };
  });
  if (r.ok) revalidatePath(`/t/${slug}/directories`);
  return r;
}

/** A new token (shown once); the old one stops working at once. */
export async function rotateDirectoryTokenAction(slug: string, directoryId: string) {
  if (!plainArgs(slug, directoryId)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const ctx = await ctxOf(principal);
  const r = await runAction(idSchema, directoryId, async (id) => (await rotateDirectoryToken(ctx, tenant.id, id)).bearerToken);
  revalidatePath(`/t/${slug}/directories/${directoryId}`);
  return r;
}

export async function revokeDirectoryTokenAction(slug: string, directoryId: string) {
  if (!plainArgs(slug, directoryId)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const ctx = await ctxOf(principal);
  const r = await runAction(idSchema, directoryId, async (id) => {
    await revokeDirectoryToken(ctx, tenant.id, id);
  });
  revalidatePath(`/t/${slug}/directories/${directoryId}`);
  return r.ok ? {} : { error: r.error };
}

export async function deleteDirectoryAction(slug: string, directoryId: string) {
  if (!plainArgs(slug, directoryId)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const ctx = await ctxOf(principal);
  const r = await runAction(idSchema, directoryId, (id) => deleteDirectory(ctx, tenant.id, id));
  revalidatePath(`/t/${slug}/directories`);
  return r.ok ? {} : { error: r.error };
}

/** Lifts the directory's limit (only an admin holding every section, or an operator; the DAL checks). */
export async function liftDirectoryLimitAction(slug: string, directoryId: string) {
  if (!plainArgs(slug, directoryId)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'directory_sync');
  const ctx = await ctxOf(principal);
  const r = await runAction(idSchema, directoryId, async (id) => {
    await liftDirectoryLimit(ctx, tenant.id, id);
  });
  revalidatePath(`/t/${slug}/directories/${directoryId}`);
  return r.ok ? {} : { error: r.error };
}
