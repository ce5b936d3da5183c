import { z } from 'zod';

/** One of the portal's SAML encryption certificates (the private key never leaves the database). */
export const spKeySchema = z.object({
  id: z.string().describe('SHA-256 fingerprint of the certificate'),
  state: z.enum(['current', 'next']).describe('`next` exists during a rollover; both are published and both decrypt'),
  notAfter: z.string(),
  createdAt: z.string(),
  certificate: z.string().describe('PEM, as the SP metadata publishes it'),
});

export const spKeyEndSchema = z.strictObject(
  { how: z.enum(['finish', 'cancel'], { error: 'must be "finish" or "cancel"' }) },
  { error: (i) => (i.code === 'unrecognized_keys' ? `unknown field(s): ${i.keys.join(', ')}` : 'must be an object') },
);

/** One of the OpenID Provider's signing keys, as the operator sees it (lib/applications/keys.ts). */
export const signingKeySchema = z.object({
  kid: z.string().describe('the key ID in the JWKS and in the header of what it signed (RFC 7638 thumbprint)'),
  alg: z.string(),
  state: z.enum(['current', 'next', 'retired']),
  createdAt: z.string(),
  activatedAt: z.string().nullable().describe('when it began to sign'),
  publishedUntil: z.string().nullable().describe('a retired key: published until then'),
});
export const signingKeyListSchema = z.object({ data: z.array(signingKeySchema) });
