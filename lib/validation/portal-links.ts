import { z } from 'zod';
import { TENANT_SCOPES } from '../auth/permissions';

export const portalLinkCreateSchema = z.object({
  scopes: z
    .array(z.enum(TENANT_SCOPES, { error: `must be one of ${TENANT_SCOPES.join(', ')}` }))
    .min(1, 'give at least one scope')
    .refine((l) => new Set(l).size === l.length, 'must not repeat a scope')
    .optional(),
  expiresInSeconds: z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(60, 'must be at least 60 seconds')
    .max(30 * 24 * 3600, 'must be at most 30 days')
    .optional(),
});
export type PortalLinkCreate = z.infer<typeof portalLinkCreateSchema>;

export const portalLinkSchema = z.object({
  id: z.string(),
  url: z.string(),
  scopes: z.array(z.enum(TENANT_SCOPES)),
  expiresAt: z.string(),
});

export const portalLinkParams = z.object({ tenantId: z.string().min(1).max(64), linkId: z.string().min(1).max(64) });

export const domainSchema = z.object({
  domain: z.string(),
  verified: z.boolean(),
  /** Who added it: an operator's domain is trusted at once; an admin's once verified. */
  addedBy: z.enum(['operator', 'admin']),
  /** Used for home-realm discovery and the sign-in email-domain check. */
  trusted: z.boolean(),
  verificationRecord: z.object({ type: z.literal('TXT'), name: z.string(), value: z.string() }),
});
export const domainParams = z.object({ tenantId: z.string().min(1).max(64), domain: z.string().min(1).max(253) });
