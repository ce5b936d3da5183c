import { z } from 'zod';
import { domainListSchema, nameSchema, slugSchema } from './common';
import { roleNameSchema, rolesSchema, strategySchema } from './tenants';

/** Domains typed into a form: separated by commas, spaces or new lines. */
const domainsText = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(/[\s,]+/)
      .map((d) => d.trim())
      .filter(Boolean),
  )
  .pipe(domainListSchema);

/** The console's tenant form; the same field rules as the API's tenant schemas. */
export const tenantFormSchema = z.object({
  name: nameSchema,
  slug: z
    .string()
    .trim()
    .transform((s) => s || undefined)
    .pipe(slugSchema.optional()),
  domains: domainsText,
});
export type TenantFormInput = z.input<typeof tenantFormSchema>;

export const tenantEditFormSchema = z.object({
  name: nameSchema,
  domains: domainsText,
  roles: z
    .string()
    .default('')
    .transform((s) => s.split(/[\s,]+/).map((r) => r.trim()).filter(Boolean))
    .pipe(rolesSchema),
});

export const apiKeyFormSchema = z.object({ name: z.string().trim().min(1, 'Give the key a name').max(80) });

/** The console's provisioning form: allowed domains typed as text, "" for no default role. */
export const provisioningFormSchema = z.object({
  strategy: strategySchema,
  defaultRole: z
    .string()
    .transform((s) => s || null)
    .pipe(roleNameSchema.nullable()),
  allowedDomains: domainsText,
});
