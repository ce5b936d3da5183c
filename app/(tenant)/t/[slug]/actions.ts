'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { deleteConnection, previewSamlMetadata } from '@/lib/dal/connections';
import { samlConnectionSchema } from '@/lib/validation/connections';

export async function previewMetadataAction(slug: string, input: unknown) {
  await requireTenant(slug, 'sso');
  return runAction(samlConnectionSchema.pick({ metadataXml: true, metadataUrl: true }), input, async (v) => {
    const { parsed } = await previewSamlMetadata(v);
    return { entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates.map(({ pem: _p, ...c }) => c) };
  });
}

export async function deleteConnectionAction(slug: string, id: string) {
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  const r = await runAction(z.string().min(1).max(64), id, (v) => deleteConnection(ctx, tenant.id, v));
  revalidatePath(`/t/${slug}/connections`);
  return r.ok ? {} : { error: r.error };
}
