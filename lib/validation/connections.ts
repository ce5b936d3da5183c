import { z } from 'zod';

const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

export const samlConnectionSchema = z.object({
  type: z.literal('saml'),
  name: z.string().trim().min(1).max(120).optional(),
  metadataXml: z.string().min(1, 'must not be empty').max(1024 * 1024, 'must be at most 1 MiB').optional(),
  metadataUrl: httpsUrl.optional(),
  allowIdpInitiated: z.boolean().optional(),
});

export const oidcConnectionSchema = z.object({
  type: z.literal('oidc'),
  name: z.string().trim().min(1).max(120).optional(),
  discoveryUrl: httpsUrl,
  clientId: z.string().trim().min(1, 'must not be empty').max(512),
  clientSecret: z.string().min(1, 'must not be empty').max(2048),
  allowIdpInitiated: z.boolean().optional(),
});

export const connectionCreateSchema = z
  .discriminatedUnion('type', [samlConnectionSchema, oidcConnectionSchema], {
    error: 'must be "saml" or "oidc"',
  })
  .superRefine((v, ctx) => {
    if (v.type === 'saml' && !v.metadataXml === !v.metadataUrl) {
      ctx.addIssue({ code: 'custom', path: ['metadataXml'], message: 'give exactly one of metadataXml or metadataUrl' });
    }
  });
export type ConnectionCreate = z.infer<typeof connectionCreateSchema>;

export const connectionSchema = z.object({
  id: z.string(),
  type: z.enum(['saml', 'oidc']),
  tenantId: z.string(),
  name: z.string().nullable(),
  allowIdpInitiated: z.boolean(),
  idp: z.object({
    entityId: z.string().optional(),
    ssoUrl: z.string().optional(),
    issuer: z.string().optional(),
    certificates: z.array(z.object({ fingerprintSha256: z.string(), notAfter: z.string() })).optional(),
  }),
  createdAt: z.string(),
});
export type ConnectionView = z.infer<typeof connectionSchema>;

export const connectionParams = z.object({ tenantId: z.string().min(1).max(64), connectionId: z.string().min(1).max(64) });
