import { z } from 'zod';

/** A pasted PEM certificate (checked further by lib/sso/saml/certificates.ts readCertificatePem). */
export const certificateAddSchema = z.object({
  certificate: z
    .string({ error: 'must be a PEM certificate (-----BEGIN CERTIFICATE----- …)' })
    .trim()
    .min(1, 'must not be empty')
    .max(16 * 1024, 'must be at most 16 KiB'),
});
export type CertificateAdd = z.infer<typeof certificateAddSchema>;

/** SHA-256 fingerprint: 64 hex digits, with or without colons, any case. */
export const fingerprintSchema = z
  .string()
  .trim()
  .transform((v) => v.replace(/:/g, '').toLowerCase())
  .refine((v) => /^[0-9a-f]{64}$/.test(v), 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)');

export const certificateParams = z.object({
  tenantId: z.string().min(1).max(64),
  connectionId: z.string().min(1).max(64),
  fingerprintSha256: z.string().min(1).max(200),
});

const certSummary = z.object({ fingerprintSha256: z.string(), notAfter: z.string(), subject: z.string().optional() });
const change = z.object({ before: z.string().nullable(), after: z.string().nullable() });

export const idpDiffSchema = z.object({
  entityId: change.optional(),
  ssoUrl: change.optional(),
  certificates: z.object({ added: z.array(certSummary), removed: z.array(certSummary) }).optional(),
});

export const metadataStatusSchema = z.object({
  connectionId: z.string(),
  metadataUrl: z.string().nullable(),
  checkedAt: z.string().nullable(),
  pending: z
    .object({
      fetchedAt: z.string(),
      idp: z.object({
        entityId: z.string().optional(),
        ssoUrl: z.string().optional(),
        certificates: z.array(certSummary).optional(),
      }),
      diff: idpDiffSchema.nullable(),
    })
    .nullable(),
});
export type MetadataStatus = z.infer<typeof metadataStatusSchema>;
