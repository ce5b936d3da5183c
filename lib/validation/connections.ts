import { z } from 'zod';

const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

export const samlConnectionSchema = z.object({
  type: z.literal('saml'),
  name: z.string().trim().min(1).max(120).optional(),
  metadataXml: z.string().min(1, 'must not be empty').max(1024 * 1024, 'must be at most 1 MiB').optional(),
  metadataUrl: httpsUrl.optional(),
  allowIdpInitiated: z.boolean().optional(),
  /** Refuse assertions that are not encrypted to the portal's encryption certificate; default false. */
  requireEncryptedAssertions: z.boolean({ error: 'must be true or false' }).optional(),
  status: z.enum(['active', 'draft'], { error: 'must be "active" or "draft"' }).optional(),
})
  // Exactly one of the two (connectionCreateSchema), for openapi.json.
  .meta({ oneOf: [{ required: ['metadataXml'] }, { required: ['metadataUrl'] }] });

export const oidcConnectionSchema = z.object({
  type: z.literal('oidc'),
  name: z.string().trim().min(1).max(120).optional(),
  discoveryUrl: httpsUrl,
  clientId: z.string().trim().min(1, 'must not be empty').max(512),
  clientSecret: z.string().min(1, 'must not be empty').max(2048),
  allowIdpInitiated: z.boolean().optional(),
  /** Accept emails the provider does not mark as verified (Entra ID sends no `email_verified`); default false. */
  trustUnverifiedEmail: z.boolean({ error: 'must be true or false' }).optional(),
  status: z.enum(['active', 'draft'], { error: 'must be "active" or "draft"' }).optional(),
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

/** One provisioning check of a test sign-in; a failed one says how to fix it. */
const testCheckSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string(), fix: z.string().optional() });

/**
 * What the last test sign-in of a connection saw. On success: what the IdP sent and what the
 * portal would make of it; on failure: the typed reason, its fix hint and what could be read.
 */
export const connectionTestResultSchema = z.object({
  outcome: z.enum(['success', 'failure']),
  at: z.string(),
  protocol: z.enum(['saml', 'oidc']),
  provider: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  hint: z.string().optional(),
  issuer: z.string().nullable().optional(),
  subject: z.string().nullable().optional(),
  nameId: z.string().nullable().optional(),
  nameIdFormat: z.string().nullable().optional(),
  authnContextClassRef: z.string().nullable().optional(),
  sessionNotOnOrAfter: z.string().nullable().optional(),
  email: z.string().nullable().optional(),
  firstName: z.string().nullable().optional(),
  lastName: z.string().nullable().optional(),
  groups: z.array(z.string()).optional(),
  attributes: z.record(z.string(), z.array(z.string())).optional(),
  roles: z.array(z.string()).optional(),
  checks: z.array(testCheckSchema).optional(),
  /** Unverified values read from a refused response, to compare with what the portal expects. */
  observed: z.record(z.string(), z.string().nullable()).optional(),
  expected: z.record(z.string(), z.string()).optional(),
});
export type ConnectionTestResult = z.infer<typeof connectionTestResultSchema>;

/**
 * The verdict of a test is its worst part: `failed` when the sign-in was refused, `problems` when
 * the IdP's answer was accepted but a provisioning check failed (this person, or everyone like
 * them, would be refused at a real sign-in), else `passed`.
 */
export type TestVerdict = 'passed' | 'problems' | 'failed';
export function testVerdict(r: ConnectionTestResult): TestVerdict {
  if (r.outcome === 'failure') return 'failed';
  return (r.checks ?? []).some((c) => !c.ok) ? 'problems' : 'passed';
}
export const VERDICT_LABEL: Record<TestVerdict, string> = { passed: 'Passed', problems: 'Passed with problems', failed: 'Failed' };

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
  /** OIDC: the redirect URI to register at the provider (the portal's one, or the tenant's own for a connection its admin made). */
  redirectUri: z.string().optional(),
  createdAt: z.string(),
  status: z.enum(['draft', 'tested', 'active']),
  requireMfa: z.boolean().nullable(),
  /** OIDC: emails the provider does not mark as verified are accepted (never to link a new subject to an existing user). */
  trustUnverifiedEmail: z.boolean(),
  /** SAML: only assertions encrypted to the portal's encryption certificate are accepted. */
  requireEncryptedAssertions: z.boolean(),
  testedAt: z.string().nullable(),
  lastTest: connectionTestResultSchema.nullable(),
});
export type ConnectionView = z.infer<typeof connectionSchema>;

export const CONNECTION_STATUSES = ['draft', 'tested', 'active'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** PATCH body of a connection; `force` activates a draft that was never tested (the console asks to confirm). */
export const connectionPatchSchema = z.strictObject(
  {
    name: z.string().trim().min(1, 'must not be empty').max(120, 'must be at most 120 characters').nullable().optional(),
    allowIdpInitiated: z.boolean({ error: 'must be true or false' }).optional(),
    requireMfa: z.boolean({ error: 'must be true, false or null' }).nullable().optional(),
    trustUnverifiedEmail: z.boolean({ error: 'must be true or false' }).optional(),
    requireEncryptedAssertions: z.boolean({ error: 'must be true or false' }).optional(),
    status: z
      .enum(['active', 'draft'], { error: 'must be "active" or "draft" (a connection becomes "tested" only through a successful test)' })
      .optional(),
    force: z.boolean({ error: 'must be true or false' }).optional(),
  },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'must be an object') },
);
export type ConnectionPatch = z.infer<typeof connectionPatchSchema>;

export const connectionTestStartSchema = z.object({
  url: z.string(),
  expiresAt: z.string(),
});

export const connectionParams = z.object({ tenantId: z.string().min(1).max(64), connectionId: z.string().min(1).max(64) });

/** How a connection is named to people (consoles, audit events): its name, else its IdP's entity ID or issuer. */
export const connectionLabel = (c: { name?: string | null; type: string; idp: { entityId?: string | null; issuer?: string | null } }): string =>
  c.name ?? c.idp.entityId ?? c.idp.issuer ?? c.type.toUpperCase();
