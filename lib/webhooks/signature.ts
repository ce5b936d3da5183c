import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signing of webhook deliveries. Every POST carries
 *
 *   Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * where `secret` is the endpoint's signing secret (the whole `whsec_…` string, as UTF-8 bytes).
 * This file has no imports from the portal: receivers may copy `verifySignature` as it is.
 */

export const SIGNATURE_HEADER = 'Portal-Signature';

export function sign(secret: string, timestamp: number, rawBody: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex');
}

/** The `Portal-Signature` header value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, rawBody: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${sign(secret, timestamp, rawBody)}`;
}

/**
 * Checks a delivery: true when `header` (the Portal-Signature value) carries a v1 signature of
 * exactly `rawBody` (the bytes received, before any JSON parsing) made with `secret`, at a time
 * within `toleranceSeconds` of now (default 5 minutes, against replays). Constant-time compare.
 */
export function verifySignature(
  header: string | null | undefined,
  rawBody: string,
  secret: string,
  opts: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  if (!header) return false;
  let t: number | null = null;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === 't' && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === null || !sigs.length) return false;
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex'), 'utf8');
  return sigs.some((s) => timingSafeEqual(Buffer.from(s, 'utf8'), expected));
}
