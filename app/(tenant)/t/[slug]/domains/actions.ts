'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { addDomain, removeDomain, verifyDomain } from '@/lib/dal/domains';

export async function verifyDomainAction(slug: string, domain: string) {
  if (!plainArgs(slug, domain)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'domains');
  const ctx = await ctxOf(principal);
  const r = await runAction(z.string().min(1).max(253), domain, async (d) => (await verifyDomain(ctx, tenant.id, d)).verified);
  revalidatePath(`/t/${slug}/domains`);
  return r;
}

export async function addDomainAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'domains');
  const ctx = await ctxOf(principal);
  // The domain itself is checked by addDomain (lower-cased, valid, not consumer mail, not taken).
  const r = await runAction(z.object({ domain: z.string({ error: 'must be a domain' }).max(253, 'must be at most 253 characters') }), input, async (v) => {
    await addDomain(ctx, tenant.id, v.domain);
  });
  if (r.ok) revalidatePath(`/t/${slug}/domains`);
  return r;
}

export async function removeDomainAction(slug: string, domain: string) {
  if (!plainArgs(slug, domain)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'domains');
  const ctx = await ctxOf(principal);
  const r = await runAction(z.string().min(1).max(253), domain, (d) => removeDomain(ctx, tenant.id, d));
  revalidatePath(`/t/${slug}/domains`);
  return r.ok ? {} : { error: r.error };
}
