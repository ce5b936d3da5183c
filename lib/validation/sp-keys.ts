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
