import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { AppError } from '../errors';

const bad = (path: string, message: string) => new AppError(400, 'invalid_url', message, [{ path, message }]);

/** The 8 groups of an IPv6 address, or null. */
function ipv6Groups(ip: string): number[] | null {
  let v = ip.toLowerCase();
  const dotted = v.match(/^(.*:)(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const [a, b, c, d] = dotted[2].split('.').map(Number);
    v = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = v.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = v.includes('::') ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : null;
}

/** Loopback, private, link-local, CGNAT, multicast and other non-public addresses (IPv4 and IPv6, any notation). */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a, b] = ip.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) || a >= 224
    );
  }
  const g = ipv6Groups(ip);
  if (!g) return true; // not an address we can read: refuse
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g.slice(0, 6).every((x) => x === 0)) return true; // ::, ::1 and IPv4-compatible
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return isPrivateAddress(v4(g[6], g[7])); // ::ffff:a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b) return isPrivateAddress(v4(g[6], g[7])); // NAT64
  if (g[0] === 0x2002) return isPrivateAddress(v4(g[1], g[2])); // 6to4
  return (g[0] & 0xfe00) === 0xfc00 || (g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xff00) === 0xff00;
}

/** Refuses a host name that resolves to (or is) a private, loopback or link-local address. */
export async function assertPublicHost(hostname: string, path: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length) throw bad(path, `host ${host} could not be resolved`);
  if (addresses.some(isPrivateAddress)) throw bad(path, `host ${host} is a private, loopback or link-local address; not allowed`);
}

class PrivateTarget extends Error {}

/**
 * A DNS lookup for the socket itself that refuses private addresses: the address checked is the
 * address connected to (no second lookup a hostile DNS server could answer differently).
 */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const list = addresses as LookupAddress[];
    if (!list.length || list.some((a) => isPrivateAddress(a.address))) {
      return callback(new PrivateTarget(`${hostname} resolves to a private address`), '', 0);
    }
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
    callback(null, list[0].address, list[0].family);
  });
};

/** localhost, *.localhost, 127.0.0.0/8 or ::1 (a bracketed IPv6 host is read without its brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

function parseOutsideUrl(raw: string, path: string, allowLoopbackHttp: boolean): URL {
  let url: URL;
  // Control characters and whitespace are refused, not silently stripped as the URL parser would.
  if (typeof raw !== 'string' || /[\u0000-\u0020\u007f]/.test(raw)) throw bad(path, 'must be an absolute URL without spaces or control characters');
  try {
    url = new URL(raw);
  } catch {
    throw bad(path, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && allowLoopbackHttp && isLoopbackHost(url.hostname))) {
    throw bad(path, allowLoopbackHttp ? 'must be an https:// URL (plain http only on localhost)' : 'must be an https:// URL');
  }
  if (url.username || url.password) throw bad(path, 'must not contain credentials');
  return url;
}

/**
 * A URL from outside that the browser is sent to (an IdP's SSO or logout location, an OIDC
 * authorization endpoint, an application's redirect URI): `https:`, or `http:` on a loopback
 * host when `allowLoopbackHttp` (a development instance). Any other scheme (`javascript:`,
 * `data:` …) is refused. Use only the returned, parsed value.
 */
export function checkBrowserUrl(raw: string, opts: { path: string; allowLoopbackHttp: boolean }): URL {
  return parseOutsideUrl(raw, opts.path, opts.allowLoopbackHttp);
}

/**
 * The checks made before any request to a URL an admin gave: absolute, https (http too on a
 * loopback host when `allowPrivate`), no credentials, not a private address literal. Names
 * resolve to addresses that are checked again at connect time.
 */
export function checkUntrustedUrl(raw: string, opts: { path: string; allowPrivate: boolean }): URL {
  const url = parseOutsideUrl(raw, opts.path, opts.allowPrivate);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!opts.allowPrivate && ((isIP(host) && isPrivateAddress(host)) || host === 'localhost' || host.endsWith('.localhost'))) {
    throw bad(opts.path, 'points at a private, loopback or link-local address; not allowed');
  }
  return url;
}

/**
 * Fetches a document from a URL an admin gave: HTTPS only and public addresses only (unless
 * `allowPrivate`, for development), a size limit and a time limit over the whole exchange.
 * Redirects are not followed.
 */
export async function fetchUntrusted(
  raw: string,
  opts: { path: string; allowPrivate: boolean; maxBytes: number; timeoutMs?: number },
): Promise<string> {
  const url = checkUntrustedUrl(raw, opts);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const client = url.protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise<string>((resolve, reject) => {
    const req = client.get(url, { lookup: opts.allowPrivate ? undefined : publicLookup, timeout: timeoutMs, headers: { accept: '*/*' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(bad(opts.path, `answered HTTP ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > opts.maxBytes) {
          req.destroy();
          reject(bad(opts.path, `document is larger than ${opts.maxBytes} bytes`));
        } else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', () => reject(bad(opts.path, 'could not be read')));
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(bad(opts.path, 'could not be fetched (timed out)'));
    }, timeoutMs);
    timer.unref();
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => {
      req.destroy();
      reject(bad(opts.path, 'could not be fetched (timed out)'));
    });
    req.on('error', (e) => {
      reject(
        e instanceof PrivateTarget || (e as { cause?: unknown }).cause instanceof PrivateTarget
          ? bad(opts.path, 'points at a private, loopback or link-local address; not allowed')
          : /ENOTFOUND|EAI_AGAIN/.test(String((e as NodeJS.ErrnoException).code))
            ? bad(opts.path, `host ${host} could not be resolved`)
            : // One message for every network failure, whatever the port or the reason: no port scanner.
              bad(opts.path, 'could not be fetched (no answer)'),
      );
    });
  });
}

/** What a POST to an untrusted URL answered (the body clipped to `maxBytes`). */
export type PostResult = { status: number; body: string };

/**
 * POSTs to a URL an admin gave (webhook receivers), with the same rules as fetchUntrusted:
 * HTTPS and public addresses only unless `allowPrivate`, checked on the address connected to;
 * a time limit over the whole exchange; redirects not followed (a 3xx is just the answer).
 * Any HTTP answer resolves; refusals, network errors and time-outs reject with a 400 AppError.
 */
export async function postUntrusted(
  raw: string,
  payload: string,
  opts: { path: string; allowPrivate: boolean; headers?: Record<string, string>; timeoutMs?: number; maxBytes?: number },
): Promise<PostResult> {
  const url = checkUntrustedUrl(raw, opts);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 4096;
  const client = url.protocol === 'https:' ? https : http;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const body = Buffer.from(payload, 'utf8');
  return new Promise<PostResult>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: opts.allowPrivate ? undefined : publicLookup,
        timeout: timeoutMs,
        headers: { ...opts.headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        // The answer's body is kept only from a public address: a receiver on an internal address
        // (allowed in development) must not echo internal answers into delivery logs.
        const remote = res.socket?.remoteAddress ?? '';
        const keepBody = remote !== '' && !isPrivateAddress(remote);
        res.on('data', (c: Buffer) => {
          if (keepBody && size < maxBytes) chunks.push(c.subarray(0, maxBytes - size));
          size += c.length;
        });
        res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
        res.on('error', () => finish(() => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(() => reject(bad(opts.path, `timed out after ${timeoutMs} ms`)));
    }, timeoutMs);
    timer.unref();
    req.on('timeout', () => {
      req.destroy();
      finish(() => reject(bad(opts.path, `timed out after ${timeoutMs} ms`)));
    });
    req.on('error', (e) => {
      finish(() =>
        reject(
          e instanceof PrivateTarget || (e as { cause?: unknown }).cause instanceof PrivateTarget
            ? bad(opts.path, 'points at a private, loopback or link-local address; not allowed')
            : /ENOTFOUND|EAI_AGAIN/.test(String((e as NodeJS.ErrnoException).code))
              ? bad(opts.path, `host ${host} could not be resolved`)
              : bad(opts.path, 'could not be reached (no answer)'),
        ),
      );
    });
    req.end(body);
  });
}
