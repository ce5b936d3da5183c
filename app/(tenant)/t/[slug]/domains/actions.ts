'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { verifyDomain } from '@/lib/dal/domains';

export async function verifyDomainAction(slug: string, domain: string) {
  const { principal, tenant } = await requireTenant(slug, 'domains');
  const ctx = await ctxOf(principal);
  const r = await runAction(z.string().min(1).max(253), domain, async (d) => (await verifyDomain(ctx, tenant.id, d)).verified);
  revalidatePath(`/t/${slug}/domains`);
  return r;
}
