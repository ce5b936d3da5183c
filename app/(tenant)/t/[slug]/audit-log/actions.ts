'use server';
import { revalidatePath } from 'next/cache';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { setAuditRetention } from '@/lib/audit/retention';
import { auditRetentionSchema } from '@/lib/audit/retention-schema';
import { ctxOf, requireTenant } from '@/lib/auth/guards';

/** Sets how many days this tenant's audit events are kept (1–3650). */
export async function auditRetentionAction(slug: string, days: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { principal, tenant } = await requireTenant(slug, 'audit_log');
  const ctx = await ctxOf(principal);
  const r = await runAction(auditRetentionSchema, { days }, (v) => setAuditRetention(ctx, tenant.id, v));
  if (r.ok) revalidatePath(`/t/${slug}/audit-log`);
  return r;
}
