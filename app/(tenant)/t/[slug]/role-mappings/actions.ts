'use server';
import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { NOT_PLAIN, plainArgs, runAction } from '@/lib/actions';
import { ctxOf, requireTenant } from '@/lib/auth/guards';
import { roleMappingOf } from '@/lib/dal/role-mappings';
import { AppError } from '@/lib/errors';
import { saveRoleMapping } from '@/lib/provisioning/apply';
import { impactFor, signInSample } from '@/lib/provisioning/impact';
import { roleMappingSchemaFor, type RoleMapping } from '@/lib/validation/role-mappings';

/**
 * Server actions of the Role mappings page. Each one checks the console principal may manage this
 * tenant's role mappings (`requireTenant(slug, 'role_mappings')`) and validates the draft with the
 * tenant's schema, so errors come back per field (`rules.2.value`).
 */

const draftOf = (d: z.output<ReturnType<typeof roleMappingSchemaFor>>, saved: RoleMapping): RoleMapping => ({
  rules: d.rules as RoleMapping['rules'],
  defaultRole: d.defaultRole === undefined ? saved.defaultRole : d.defaultRole,
});

/** How existing users' roles would change under the draft. */
export async function roleMappingImpactAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { tenant } = await requireTenant(slug, 'role_mappings');
  const saved = roleMappingOf(tenant);
  return runAction(roleMappingSchemaFor(tenant.roles), input, (d) => impactFor(tenant.id, saved, draftOf(d, saved)));
}

async function save(slug: string, input: unknown, applyNow: boolean) {
  const { principal, tenant } = await requireTenant(slug, 'role_mappings');
  const ctx = await ctxOf(principal);
  const r = await runAction(roleMappingSchemaFor(tenant.roles), input, (d) => saveRoleMapping(ctx, tenant.id, d, { applyNow }));
  if (r.ok) {
    revalidatePath(`/t/${slug}/role-mappings`);
    revalidatePath(`/t/${slug}`);
  }
  return r;
}

/** Saves the rules; existing users get their new roles at their next sign-in or SCIM event. */
export async function saveRoleMappingAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  return save(slug, input, false);
}

/** Saves the rules and changes existing users' roles now, in the same transaction. */
export async function saveAndApplyRoleMappingAction(slug: string, input: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  return save(slug, input, true);
}

/** What the rules saw at a recent sign-in of this tenant (for the preview). */
export async function signInSampleAction(slug: string, userId: unknown) {
  if (!plainArgs(slug)) return NOT_PLAIN;
  const { tenant } = await requireTenant(slug, 'role_mappings');
  return runAction(z.string().min(1).max(64), userId, async (id) => {
    const sample = await signInSample(tenant.id, id);
    if (!sample) throw new AppError(404, 'not_found', 'The attributes of that sign-in are no longer available.');
    return sample;
  });
}
