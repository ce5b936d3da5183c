import { z } from 'zod';
import { domainListSchema, domainSchema, limitSchema, nameSchema, slugSchema } from './common';

export const tenantCreateSchema = z.object({
  name: nameSchema,
  slug: slugSchema.optional(),
  domains: domainListSchema.optional(),
});
export type TenantCreate = z.infer<typeof tenantCreateSchema>;

/** A role name, wherever one is given: letters, digits and `_ - . : /`, no spaces, up to 64; case counts. */
export const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
export const ROLE_NAME_MESSAGE = 'must be a role name such as "billing-admin": letters, digits and _ - . : / (no spaces, at most 64)';
export const MAX_ROLES = 200;

export const roleNameSchema = z.string({ error: 'must be a string' }).superRefine((s, ctx) => {
  if (!ROLE_NAME.test(s)) ctx.addIssue({ code: 'custom', message: s ? ROLE_NAME_MESSAGE : 'must not be empty' });
});

/** A tenant's role set (default admin, editor, member, viewer). */
export const rolesSchema = z
  .array(roleNameSchema)
  .min(1, 'keep at least one role')
  .max(MAX_ROLES, `at most ${MAX_ROLES} roles`)
  .refine((l) => new Set(l).size === l.length, 'must not repeat a role');

export const tenantPatchSchema = z.object({
  name: nameSchema.optional(),
  domains: domainListSchema.optional(),
  roles: rolesSchema.optional(),
});
export type TenantPatch = z.infer<typeof tenantPatchSchema>;

export const tenantSchema = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  domains: z.array(z.string()),
  roles: z.array(z.string()),
  createdAt: z.string().meta({ format: 'date-time' }),
  updatedAt: z.string().meta({ format: 'date-time' }),
});
export type TenantView = z.infer<typeof tenantSchema>;

export const tenantIdParams = z.object({ tenantId: z.string().min(1).max(64) });

export const tenantListQuerySchema = z.object({
  limit: limitSchema,
  cursor: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
});

export const strategySchema = z.enum(['jit', 'scim', 'self_registration']);

export const provisioningInputSchema = z.object({
  strategy: strategySchema,
  defaultRole: roleNameSchema.nullable().optional(),
  allowedDomains: z
    .array(domainSchema)
    .max(100)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a domain')
    .optional(),
});
export type ProvisioningInput = z.infer<typeof provisioningInputSchema>;

export const provisioningSchema = z.object({
  strategy: strategySchema,
  defaultRole: z.string().nullable(),
  allowedDomains: z.array(z.string()),
});
