'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { checkSamlMetadata, deleteConnection } from '@/lib/dal/connections';
import { samlConnectionSchema } from '@/lib/validation/connections';
import { signOut } from '@/lib/auth/config';

export async function previewMetadataAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  return runAction(samlConnectionSchema.pick({ metadataXml: true, metadataUrl: true }), input, async (v) => {
    // A refusal here is audited (connection.create_refused): it is where the console refuses bad metadata.
    const { parsed } = await checkSamlMetadata(ctx, tenant.id, v);
    return { entityId: parsed.entityId, ssoUrl: parsed.ssoUrl, certificates: parsed.certificates.map(({ pem: _p, ...c }) => c) };
  });
}

export async function deleteConnectionAction(slug: string, id: string) {
  if (!plainArgs(slug, id)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'sso');
  const ctx = await ctxOf(principal);
  const r = await runAction(z.string().min(1).max(64), id, (v) => deleteConnection(ctx, tenant.id, v));
  revalidatePath(`/t/${slug}/connections`);
  return r.ok ? {} : { error: r.error };
}

/** Ends this console session (a setup link's visitor, an SSO admin); the session row goes with it. */
export async function signOutConsoleAction() {
  await signOut({ redirectTo: '/' });
}
