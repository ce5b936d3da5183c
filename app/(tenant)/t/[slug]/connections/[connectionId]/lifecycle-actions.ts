'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { addCertificate, removeCertificate } from '@/lib/sso/saml/certificates';
import { approveMetadata, refreshMetadata, rejectMetadata } from '@/lib/sso/saml/metadata-refresh';
import { certificateAddSchema } from '@/lib/validation/certificates';

// Certificate rollover and metadata approval on a connection's page (components/connections/certificate-section.tsx).

async function guard(slug: string) {
  const { principal, tenant } = await requireTenant(slug, 'sso');
  return { tenant, ctx: await ctxOf(principal) };
}

const done = (slug: string, connectionId: string) => {
  revalidatePath(`/t/${slug}/connections/${connectionId}`);
  revalidatePath(`/t/${slug}/connections`);
};

const connectionId = z.string().min(1).max(64);

export async function addCertificateAction(slug: string, id: string, input: unknown) {
  if (!plainArgs(slug, id)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(certificateAddSchema, input, async (v) => {
    await addCertificate(ctx, tenant.id, connectionId.parse(id), v);
  });
  if (r.ok) done(slug, id);
  return r;
}

export async function removeCertificateAction(slug: string, id: string, fingerprintSha256: string) {
  if (!plainArgs(slug, id, fingerprintSha256)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(z.string().min(1).max(200), fingerprintSha256, async (fp) => {
    await removeCertificate(ctx, tenant.id, connectionId.parse(id), fp);
  });
  if (r.ok) done(slug, id);
  return r.ok ? {} : { error: r.fieldErrors?.fingerprintSha256 ?? r.error };
}

export async function refreshMetadataAction(slug: string, id: string) {
  if (!plainArgs(slug, id)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(connectionId, id, async (v) => {
    await refreshMetadata(ctx, tenant.id, v);
  });
  done(slug, id);
  return r;
}

export async function approveMetadataAction(slug: string, id: string) {
  if (!plainArgs(slug, id)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(connectionId, id, async (v) => {
    await approveMetadata(ctx, tenant.id, v);
  });
  done(slug, id);
  return r.ok ? {} : { error: r.error };
}

export async function rejectMetadataAction(slug: string, id: string) {
  if (!plainArgs(slug, id)) return NOT_PLAIN;
  const { tenant, ctx } = await guard(slug);
  const r = await runAction(connectionId, id, async (v) => {
    await rejectMetadata(ctx, tenant.id, v);
  });
  done(slug, id);
  return r.ok ? {} : { error: r.error };
}
