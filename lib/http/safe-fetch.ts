import dns, { type LookupAddress } from 'node:dns';
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

/**
 * Why a host name is refused: one answer whether it does not resolve or resolves to a private
 * address, so that an admin cannot learn which internal names the portal's DNS knows. An address
 * literal says what it is (it reveals nothing).
 */
const refusedName = (host: string) => `host ${host} could not be resolved to a public address (it is unknown, or private, loopback or link-local); not allowed`;
const refusedHost = (host: string) => (isIP(host) ? `host ${host} is a private, loopback or link-local address; not allowed` : refusedName(host));

/** Refuses a host name that resolves to (or is) a private, loopback or link-local address. */
export async function assertPublicHost(hostname: string, path: string): Promise<void> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  if (!addresses.length || addresses.some(isPrivateAddress)) throw bad(path, refusedHost(host));
}

class PrivateTarget extends Error {}

/**
 * A DNS lookup for the socket itself that refuses private addresses: the address checked is the
 * address connected to (no second lookup a hostile DNS server could answer differently).
 */
const publicLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
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
  // Trailing dots name the same host (`localhost.`).
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
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
        e instanceof PrivateTarget || (e as { cause?: unknown }).cause instanceof PrivateTarget || /ENOTFOUND|EAI_AGAIN/.test(String((e as NodeJS.ErrnoException).code))
          ? bad(opts.path, refusedHost(host))
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
          e instanceof PrivateTarget || (e as { cause?: unknown }).cause instanceof PrivateTarget || /ENOTFOUND|EAI_AGAIN/.test(String((e as NodeJS.ErrnoException).code))
            ? bad(opts.path, refusedHost(host))
            : bad(opts.path, 'could not be reached (no answer)'),
        ),
      );
    });
    req.end(body);
  });
}

/** Why {@link untrustedFetch} gave up: the target is refused, time ran out, the answer is too large, or no answer. */
export class UntrustedFetchError extends Error {
  constructor(
    readonly kind: 'refused' | 'timeout' | 'too_large' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'UntrustedFetchError';
  }
}

/** What openid-client (its `customFetch`) and most callers pass as a request. */
export type UntrustedFetchInit = {
  method?: string;
  headers?: Record<string, string> | Headers | [string, string][];
  body?: string | URLSearchParams | Uint8Array | ArrayBuffer | ReadableStream | null;
  signal?: AbortSignal | null;
  redirect?: string;
};

/**
 * A `fetch` for requests to URLs from outside (an OIDC provider's token, userinfo and JWKS
 * endpoints), suitable as openid-client's `customFetch`: each request is checked as
 * {@link checkUntrustedUrl} says (https; http and private targets only when `allowPrivate`), and
 * the address checked is the address connected to (no DNS rebinding between a check and the
 * connect). Redirects are never followed (a 3xx is just the answer); the answer is read up to
 * `maxBytes`; every request ends by `timeoutMs`, by the caller's `signal` (a deadline over a
 * whole exchange) or by the request's own signal, whichever comes first. Failures reject with an
 * {@link UntrustedFetchError}; one message for every network failure (no port scanner).
 */
export function untrustedFetch(opts: { path: string; allowPrivate: boolean; maxBytes: number; timeoutMs: number; signal?: AbortSignal }) {
  return async (input: string | URL, init: UntrustedFetchInit = {}): Promise<Response> => {
    let url: URL;
    try {
      url = checkUntrustedUrl(typeof input === 'string' ? input : input.href, opts);
    } catch (e) {
      throw new UntrustedFetchError('refused', `${opts.path}: ${(e as Error).message}`);
    }
    const signals = [AbortSignal.timeout(opts.timeoutMs), opts.signal, init.signal].filter((x): x is AbortSignal => !!x);
    const signal = AbortSignal.any(signals);
    const timedOut = () => new UntrustedFetchError('timeout', `${opts.path}: ${url.origin} did not answer in time`);
    if (signal.aborted) throw timedOut();
    const headers: Record<string, string> = {};
    new Headers(init.headers as HeadersInit | undefined).forEach((v, k) => (headers[k] = v));
    let body: Buffer | undefined;
    if (init.body instanceof URLSearchParams) {
      body = Buffer.from(init.body.toString());
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (typeof init.body === 'string') body = Buffer.from(init.body);
    else if (init.body != null) body = Buffer.from(await new Response(init.body as BodyInit).arrayBuffer());
    if (body) headers['content-length'] = String(body.length);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      const req = client.request(url, { method: init.method ?? 'GET', headers, agent: false, lookup: opts.allowPrivate ? undefined : publicLookup }, (res) => {
        const status = res.statusCode ?? 0;
        if (Number(res.headers['content-length']) > opts.maxBytes) {
          req.destroy();
          return finish(() => reject(new UntrustedFetchError('too_large', `${opts.path}: the answer is larger than ${opts.maxBytes} bytes`)));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxBytes) {
            req.destroy();
            finish(() => reject(new UntrustedFetchError('too_large', `${opts.path}: the answer is larger than ${opts.maxBytes} bytes`)));
          } else chunks.push(c);
        });
        res.on('end', () =>
          finish(() => {
            if (status < 200 || status > 599) return reject(new UntrustedFetchError('network', `${opts.path}: ${url.origin} could not be reached (no answer)`));
            const h = new Headers();
            for (const [k, v] of Object.entries(res.headers)) for (const x of ([] as string[]).concat(v ?? [])) h.append(k, x);
            const noBody = [204, 205, 304].includes(status);
            resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: h }));
          }),
        );
        res.on('error', () => finish(() => reject(signal.aborted ? timedOut() : new UntrustedFetchError('network', `${opts.path}: ${url.origin} could not be reached (no answer)`))));
        res.on('close', () => finish(() => reject(signal.aborted ? timedOut() : new UntrustedFetchError('network', `${opts.path}: ${url.origin} could not be reached (no answer)`))));
      });
      const onAbort = () => {
        req.destroy();
        finish(() => reject(timedOut()));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (e) =>
        finish(() =>
          reject(
            signal.aborted
              ? timedOut()
              : e instanceof PrivateTarget || (e as { cause?: unknown }).cause instanceof PrivateTarget || /ENOTFOUND|EAI_AGAIN/.test(String((e as NodeJS.ErrnoException).code))
                ? new UntrustedFetchError('refused', `${opts.path}: ${refusedHost(url.hostname.replace(/^\[|\]$/g, ''))}`)
                : new UntrustedFetchError('network', `${opts.path}: ${url.origin} could not be reached (no answer)`),
          ),
        ),
      );
      req.end(body);
    });
  };
}
