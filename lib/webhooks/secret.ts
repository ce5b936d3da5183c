import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { env } from '../env';

/**
 * Webhook signing secrets: made here, shown once, kept encrypted (AES-256-GCM) with a key derived
 * from AUTH_SECRET by HKDF-SHA256 under an info string of its own, so no other use of AUTH_SECRET
 * shares the key. Stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
 */

const INFO = 'sso-portal webhook signing secrets v1';
const SALT = 'sso-portal/webhooks';

function keyFrom(authSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(authSecret, 'utf8'), Buffer.from(SALT, 'utf8'), Buffer.from(INFO, 'utf8'), 32));
}

/** A new signing secret, `whsec_` and 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

export function encryptSecret(secret: string, authSecret = env().AUTH_SECRET): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(authSecret), iv);
  const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

/** The secret back; throws when the value was tampered with or encrypted under another AUTH_SECRET. */
export function decryptSecret(stored: string, authSecret = env().AUTH_SECRET): string {
  const [v, iv, tag, ct] = stored.split('.');
  if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('webhook secret: unknown format');
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(authSecret), Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
}
