import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';

/**
 * Runs a Node (req, res) handler — the OpenID Provider's `callback()` or its interaction helpers —
 * inside an App Router route handler: a Web Request in, a Web Response out.
 *
 * - `req.url` is the original path and query (the provider's routes carry the /oidc prefix).
 * - Host and TLS come from PUBLIC_URL, never from the request: the provider builds every absolute
 *   URL (discovery, redirects, cookie paths) from them, so a spoofed Host cannot change the issuer.
 * - The body is read once, capped at the provider's own limit (56 KiB).
 * - The answer is buffered (small HTML/JSON and redirects); every Set-Cookie is kept.
 */
const BODY_LIMIT = 56 * 1024;

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;
type HeaderValue = string | number | string[];

/** The part of http.ServerResponse that koa and its helpers use. */
export class BufferedResponse extends Writable {
  statusCode = 200;
  statusMessage = '';
  headersSent = false;
  /** koa treats a response without a socket as writable. */
  readonly socket = null;
  private readonly headerMap = new Map<string, { name: string; value: HeaderValue }>();
  private readonly chunks: Buffer[] = [];

  setHeader(name: string, value: HeaderValue) {
    this.headerMap.set(name.toLowerCase(), { name, value });
    return this;
  }
  getHeader(name: string) {
    return this.headerMap.get(name.toLowerCase())?.value;
  }
  getHeaders() {
    return Object.fromEntries([...this.headerMap].map(([k, v]) => [k, v.value]));
  }
  getHeaderNames() {
    return [...this.headerMap.keys()];
  }
  hasHeader(name: string) {
    return this.headerMap.has(name.toLowerCase());
  }
  removeHeader(name: string) {
    this.headerMap.delete(name.toLowerCase());
  }
  writeHead(status: number, reason?: string | Record<string, HeaderValue>, headers?: Record<string, HeaderValue>) {
    this.statusCode = status;
    if (typeof reason === 'string') this.statusMessage = reason;
    for (const [k, v] of Object.entries((typeof reason === 'object' ? reason : headers) ?? {})) this.setHeader(k, v);
    this.headersSent = true;
    return this;
  }
  flushHeaders() {
    this.headersSent = true;
  }
  override _write(chunk: Buffer | string, enc: BufferEncoding, cb: (e?: Error | null) => void) {
    this.headersSent = true;
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk, enc));
    cb();
  }
  override _final(cb: (e?: Error | null) => void) {
    this.headersSent = true;
    cb();
  }
  toResponse(method: string): Response {
    const headers = new Headers();
    for (const { name, value } of this.headerMap.values()) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else headers.set(name, String(value));
    }
    const noBody = method === 'HEAD' || [101, 204, 205, 304].includes(this.statusCode);
    return new Response(noBody ? null : Buffer.concat(this.chunks), { status: this.statusCode, headers });
  }
}

/** The request's body, or null when it is larger than `limit` (by default the provider's). */
export async function readCapped(request: Request, limit = BODY_LIMIT): Promise<Buffer | null> {
  if (!request.body) return Buffer.alloc(0);
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) return null;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Rewrites a request's parameters (its query and a form body) before the handler reads them;
 * answers whether it changed any.
 */
export type ParamRewrite = (params: URLSearchParams) => boolean;

export async function toNodeRequest(request: Request, publicUrl: URL, rewrite?: ParamRewrite): Promise<IncomingMessage | null> {
  let body = await readCapped(request);
  if (body === null) return null;
  const url = new URL(request.url);
  if (rewrite) {
    const query = new URLSearchParams(url.search);
    if (rewrite(query)) url.search = query.toString();
    if (body.length && /^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) {
      const form = new URLSearchParams(body.toString('utf8'));
      if (rewrite(form)) body = Buffer.from(form.toString(), 'utf8');
    }
  }
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key] = value;
  });
  headers.host = publicUrl.host;
  if (body.length) headers['content-length'] = String(body.length);
  else delete headers['content-length'];
  // scripts/client-address.mjs leaves exactly one trusted address in X-Forwarded-For.
  const socket = { encrypted: publicUrl.protocol === 'https:', remoteAddress: headers['x-forwarded-for'] ?? '127.0.0.1', readable: true, writable: true };
  const req = Readable.from(body.length ? [body] : [], { objectMode: false }) as unknown as IncomingMessage;
  Object.assign(req, {
    method: request.method,
    url: url.pathname + url.search,
    headers,
    rawHeaders: Object.entries(headers).flat(),
    httpVersion: '1.1',
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    socket,
    connection: socket,
    complete: true,
  });
  return req;
}

export async function runNodeHandler(handler: NodeHandler, request: Request, publicUrl: URL, rewrite?: ParamRewrite): Promise<Response> {
  const req = await toNodeRequest(request, publicUrl, rewrite);
  if (!req) return new Response('Request body too large', { status: 413 });
  const res = new BufferedResponse();
  const done = new Promise<void>((resolve, reject) => {
    res.once('finish', resolve);
    res.once('error', reject);
  });
  await handler(req, res as unknown as ServerResponse);
  await done;
  const out = res.toResponse(request.method);
  if (publicUrl.protocol === 'https:') out.headers.set('strict-transport-security', 'max-age=31536000');
  return out;
}

/** A (req, res) pair for the provider's interaction helpers (interactionDetails, interactionResult); null for a body too large. */
export async function nodePair(request: Request, publicUrl: URL) {
  const req = await toNodeRequest(request, publicUrl);
  return req && { req, res: new BufferedResponse() };
}

/**
 * The Cookie header a browser would send next, after it got `setCookies` (for a second request made
 * on its behalf on the server): each cookie set replaces the one of its name, each cleared one goes.
 * Paths and domains are not compared: the second request is to the provider, where every cookie
 * set here applies.
 */
export function cookieHeaderAfter(cookieHeader: string | null, setCookies: readonly string[]): string {
  const jar = new Map<string, string>();
  for (const c of (cookieHeader ?? '').split(/;\s*/)) {
    const at = c.indexOf('=');
    // A name sent twice (a cookie of a more specific path first): the first, as the provider reads it.
    if (at > 0 && !jar.has(c.slice(0, at))) jar.set(c.slice(0, at), c.slice(at + 1));
  }
  for (const c of setCookies) {
    const pair = c.split(';')[0];
    const name = pair.slice(0, pair.indexOf('='));
    if (/;\s*max-age=0/i.test(c) || /;\s*expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(name);
    else jar.set(name, pair.slice(pair.indexOf('=') + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}
