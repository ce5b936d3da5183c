import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '../errors';

const bad = (path: string, message: string) => new AppError(400, 'invalid_url', message, [{ path, message }]);

/** Loopback, private, link-local, CGNAT, multicast and other non-public addresses. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19)) || a >= 224
    );
  }
  const v = ip.toLowerCase();
  if (v === '::' || v === '::1') return true;
  const mapped = v.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
  if (mapped) return isPrivateAddress(mapped[1]);
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(v);
}

/** Refuses a host name that resolves to (or is) a private, loopback or link-local address. */
export async function assertPublicHost(hostname: string, path: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) throw bad(path, `host ${host} could not be resolved`);
  if (addresses.some(isPrivateAddress)) throw bad(path, `host ${host} is a private, loopback or link-local address; not allowed`);
}

/**
 * Fetches a document from a URL an admin gave: HTTPS only and public addresses only (unless
 * `allowPrivate`, for development), a size limit and a time limit. Redirects are not followed.
 */
export async function fetchUntrusted(
  raw: string,
  opts: { path: string; allowPrivate: boolean; maxBytes: number; timeoutMs?: number },
): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(opts.path, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(opts.allowPrivate && url.protocol === 'http:')) throw bad(opts.path, 'must be an https:// URL');
  if (url.username || url.password) throw bad(opts.path, 'must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) throw bad(opts.path, `host ${host} could not be resolved`);
  if (!opts.allowPrivate && addresses.some(isPrivateAddress)) {
    throw bad(opts.path, 'points at a private, loopback or link-local address; not allowed');
  }
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
  } catch (e) {
    throw bad(opts.path, `could not be fetched (${(e as Error).name === 'TimeoutError' ? 'timed out' : (e as Error).message})`);
  }
  if (res.status !== 200) throw bad(opts.path, `answered HTTP ${res.status}`);
  const reader = res.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > opts.maxBytes) {
      await reader.cancel().catch(() => {});
      throw bad(opts.path, `document is larger than ${opts.maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
