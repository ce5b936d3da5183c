import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { env } from '../env';

/**
 * Secrets kept in the database (private keys): AES-256-GCM under a key derived from AUTH_SECRET
 * by HKDF-SHA256 with an info string per use, so no two uses share a key; `aad` binds the sealed
 * value to its row. Stored as base64 of iv (12) | tag (16) | ciphertext.
 */
const kek = (info: string) => Buffer.from(hkdfSync('sha256', env().AUTH_SECRET, 'portal', info, 32));

export function seal(info: string, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek(info), iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plaintext, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

/** The plaintext back; throws when the value was changed, moved to another row or sealed under another AUTH_SECRET. */
export function unseal(info: string, sealed: string, aad: string): string {
  const b = Buffer.from(sealed, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek(info), b.subarray(0, 12));
  d.setAAD(Buffer.from(aad));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString('utf8');
}
