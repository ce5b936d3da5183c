import { z } from 'zod';
import { domainListSchema, domainSchema, nameSchema, slugSchema } from './common';

export const tenantCreateSchema = z.object({
  name: nameSchema,
  slug: slugSchema.optional(),
  domains: domainListSchema.optional(),
});
export type TenantCreate = z.infer<typeof tenantCreateSchema>;

export const ROLE_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

/** A tenant's role set (default admin, editor, member, viewer); mapping rules may name only these. */
export const rolesSchema = z
  .array(z.string({ error: 'must be a string' }).regex(ROLE_NAME, 'must be a lower-case role name such as "billing-admin"'))
  .min(1, 'keep at least one role')
  .max(50, 'at most 50 roles')
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
  limit: z.coerce.number({ error: 'must be a number' }).int('must be an integer').min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
  q: z.string().max(200).optional(),
});

export const strategySchema = z.enum(['jit', 'scim', 'self_registration']);

export const provisioningInputSchema = z.object({
  strategy: strategySchema,
  defaultRole: z.string().regex(ROLE_NAME, 'must be a role name').nullable().optional(),
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
