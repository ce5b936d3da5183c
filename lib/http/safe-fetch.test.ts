import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors';
import { assertPublicHost, fetchUntrusted, isPrivateAddress, postUntrusted, untrustedFetch, UntrustedFetchError } from './safe-fetch';

describe('isPrivateAddress', () => {
  it.each([
    // IPv4: unspecified, loopback, RFC 1918, link-local, CGNAT, benchmarking, multicast, broadcast
    ['0.0.0.0', true],
    ['127.0.0.1', true],
    ['127.255.255.254', true],
    ['10.0.0.1', true],
    ['10.255.255.255', true],
    ['172.16.0.1', true],
    ['172.20.10.5', true],
    ['172.31.255.255', true],
    ['192.168.0.1', true],
    ['192.168.255.255', true],
    ['169.254.169.254', true], // cloud metadata endpoint
    ['169.254.0.1', true],
    ['100.64.0.1', true],
    ['100.127.255.255', true],
    ['198.18.0.1', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    // IPv4 public, including the neighbours of each private range
    ['8.8.8.8', false],
    ['1.1.1.1', false],
    ['93.184.216.34', false],
    ['9.255.255.255', false],
    ['11.0.0.1', false],
    ['126.255.255.255', false],
    ['128.0.0.1', false],
    ['172.15.255.255', false],
    ['172.32.0.1', false],
    ['192.167.255.255', false],
    ['192.169.0.1', false],
    ['169.253.255.255', false],
    ['169.255.0.1', false],
    ['100.63.255.255', false],
    ['100.128.0.1', false],
    ['203.0.113.9', false],
    // IPv6
    ['::', true],
    ['::1', true],
    ['fc00::1', true],
    ['fd12:3456:789a::1', true],
    ['FD00::1', true],
    ['fe80::1', true],
    ['fe80::1ff:fe23:4567:890a', true],
    ['febf:ffff::1', true],
    ['ff02::1', true],
    // IPv4-mapped IPv6, dotted and in the hex form WHATWG URLs normalise to
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.1.2.3', true],
    ['::ffff:169.254.169.254', true],
    ['::FFFF:192.168.1.1', true],
    ['::ffff:7f00:1', true], // = ::ffff:127.0.0.1, what new URL('http://[::ffff:127.0.0.1]/').hostname gives
    ['::ffff:a9fe:a9fe', true], // = ::ffff:169.254.169.254
    ['::ffff:c0a8:101', true], // = ::ffff:192.168.1.1
    ['::ffff:8.8.8.8', false],
    ['::ffff:808:808', false], // = ::ffff:8.8.8.8
    // IPv6 public
    ['2606:4700:4700::1111', false],
    ['2001:4860:4860::8888', false],
    ['2a00:1450:4001:80b::200e', false],
  ])('%s → %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// fetchUntrusted against a local HTTP server on 127.0.0.1
// ---------------------------------------------------------------------------------------------

let server: http.Server;
let origin: string;
let port: number;
const hits: string[] = [];
/** TCP connections the local server accepted (a TLS handshake attempt counts, a request need not follow). */
let connections = 0;
const stalled = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    switch (url.pathname) {
      case '/doc':
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<doc>héllo</doc>');
        return;
      case '/size': {
        const n = Number(url.searchParams.get('n'));
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('a'.repeat(n));
        return;
      }
      case '/endless': {
        // Writes forever (until the client goes away), without a content-length.
        res.writeHead(200, { 'content-type': 'text/plain' });
        const chunk = 'b'.repeat(16 * 1024);
        const timer = setInterval(() => {
          if (res.destroyed) return clearInterval(timer);
          res.write(chunk);
        }, 1);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/hang':
        // Never answers.
        stalled.add(res);
        return;
      case '/hang-body':
        // Headers, a little body, then nothing.
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial');
        stalled.add(res);
        return;
      case '/redirect':
        res.writeHead(302, { location: '/target' });
        res.end();
        return;
      case '/redirect-301':
        res.writeHead(301, { location: `${origin}/target` });
        res.end();
        return;
      case '/target':
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('redirect target');
        return;
      case '/echo': {
        // Answers what it was sent (method, content-type, body) as JSON.
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json', 'x-seen': 'yes' });
          res.end(JSON.stringify({ method: req.method, contentType: req.headers['content-type'] ?? null, body: Buffer.concat(chunks).toString('utf8'), auth: req.headers.authorization ?? null }));
        });
        return;
      }
      case '/missing':
        res.writeHead(404);
        res.end('nope');
        return;
      case '/error':
        res.writeHead(500);
        res.end('boom');
        return;
      default:
        res.writeHead(404);
        res.end();
    }
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  hits.length = 0;
  connections = 0;
});

const PATH = 'metadataUrl';

/** The AppError fetchUntrusted refused with; fails the test if it resolved or threw anything else. */
async function refusal(p: Promise<unknown>): Promise<AppError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a refusal').toBeInstanceOf(AppError);
  const err = caught as AppError;
  expect(err.status).toBe(400);
  expect(err.errors?.[0]?.path).toBe(PATH);
  return err;
}

const strict = { path: PATH, allowPrivate: false, maxBytes: 1024 * 1024, timeoutMs: 2000 };
const lax = { path: PATH, allowPrivate: true, maxBytes: 1024 * 1024, timeoutMs: 2000 };

describe('fetchUntrusted: refused before any request', () => {
  it.each<[string, () => string, RegExp]>([
    ['not a URL', () => 'not a url', /absolute URL/],
    ['a relative URL', () => '/metadata', /absolute URL/],
    ['http://', () => 'http://idp.example.com/metadata', /https/],
    ['http:// to the local server', () => `${origin}/doc`, /https/],
    ['ftp://', () => 'ftp://idp.example.com/metadata', /https/],
    ['file://', () => 'file:///etc/passwd', /https/],
    ['data:', () => 'data:text/plain,hello', /https/],
    ['credentials', () => 'https://user:secret@idp.example.com/metadata', /credentials/],
    ['a user name only', () => 'https://user@idp.example.com/metadata', /credentials/],
    ['127.0.0.1', () => `https://127.0.0.1:${port}/doc`, /private|loopback/],
    ['localhost', () => `https://localhost:${port}/doc`, /private|loopback/],
    ['[::1]', () => `https://[::1]:${port}/doc`, /private|loopback/],
    ['[::ffff:127.0.0.1]', () => `https://[::ffff:127.0.0.1]:${port}/doc`, /private|loopback/],
    ['127.0.0.1 as a decimal number', () => `https://2130706433:${port}/doc`, /private|loopback/],
    ['127.0.0.1 in hex', () => `https://0x7f.0.0.1:${port}/doc`, /private|loopback/],
    ['0.0.0.0', () => `https://0.0.0.0:${port}/doc`, /private|loopback/],
    ['the cloud metadata address', () => 'https://169.254.169.254/latest/meta-data/', /private|loopback/],
    ['[::ffff:169.254.169.254]', () => 'https://[::ffff:169.254.169.254]/latest/meta-data/', /private|loopback/],
    ['10.0.0.1', () => 'https://10.0.0.1/metadata', /private|loopback/],
    ['192.168.1.1', () => 'https://192.168.1.1/metadata', /private|loopback/],
    ['[fd00::1]', () => 'https://[fd00::1]/metadata', /private|loopback/],
    ['a host that does not resolve', () => 'https://does-not-exist.invalid/metadata', /resolved/],
  ])('with allowPrivate=false: %s', async (_n, url, message) => {
    const err = await refusal(fetchUntrusted(url(), strict));
    expect(connections, 'a connection was opened to the local server').toBe(0);
    expect(hits).toEqual([]); // the local server was never asked
    expect(err.message).toMatch(message);
  });

  it('refuses credentials even when private addresses are allowed', async () => {
    const err = await refusal(fetchUntrusted(`http://user:pw@127.0.0.1:${port}/doc`, lax));
    expect(err.message).toMatch(/credentials/);
    expect(hits).toEqual([]);
  });

  it('refuses non-http(s) schemes even when private addresses are allowed', async () => {
    await refusal(fetchUntrusted('file:///etc/passwd', lax));
    await refusal(fetchUntrusted('ftp://127.0.0.1/x', lax));
  });
});

describe('fetchUntrusted with allowPrivate=true (development)', () => {
  it('fetches a document from the local server as UTF-8 text', async () => {
    expect(await fetchUntrusted(`${origin}/doc`, lax)).toBe('<doc>héllo</doc>');
    expect(await fetchUntrusted(`http://localhost:${port}/doc`, lax).catch((e) => e)).toSatisfy(
      // localhost may resolve to ::1 first where nothing listens; either a document or a clean refusal
      (r: unknown) => r === '<doc>héllo</doc>' || (r instanceof AppError && r.status === 400),
    );
  });

  it('accepts a document of exactly maxBytes and refuses one byte more', async () => {
    expect(await fetchUntrusted(`${origin}/size?n=1000`, { ...lax, maxBytes: 1000 })).toHaveLength(1000);
    const err = await refusal(fetchUntrusted(`${origin}/size?n=1001`, { ...lax, maxBytes: 1000 }));
    expect(err.message).toMatch(/larger than 1000 bytes/);
  });

  it('stops reading an endless body at maxBytes', async () => {
    const started = Date.now();
    const err = await refusal(fetchUntrusted(`${origin}/endless`, { ...lax, maxBytes: 64 * 1024, timeoutMs: 10_000 }));
    expect(err.message).toMatch(/larger than/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives up on a server that never answers, after the timeout', async () => {
    const started = Date.now();
    const err = await refusal(fetchUntrusted(`${origin}/hang`, { ...lax, timeoutMs: 300 }));
    const took = Date.now() - started;
    expect(err.message).toMatch(/timed out/);
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
  });

  it('gives up on a body that stops half-way, after the timeout, with a clean 400', async () => {
    const started = Date.now();
    await refusal(fetchUntrusted(`${origin}/hang-body`, { ...lax, timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it.each([
    ['302 with a relative Location', '/redirect', /302/],
    ['301 with an absolute Location', '/redirect-301', /301/],
  ])('does not follow a %s', async (_n, path, message) => {
    const err = await refusal(fetchUntrusted(`${origin}${path}`, lax));
    expect(err.message).toMatch(message);
    expect(hits).toEqual([path]); // /target was never requested
  });

  it.each([
    ['404', '/missing', /404/],
    ['500', '/error', /500/],
  ])('refuses an HTTP %s answer', async (_n, path, message) => {
    const err = await refusal(fetchUntrusted(`${origin}${path}`, lax));
    expect(err.message).toMatch(message);
  });

  it('refuses a port where nothing listens with a clean 400', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await refusal(fetchUntrusted(`http://127.0.0.1:${freePort}/doc`, lax));
    expect(err.message).toMatch(/could not be fetched/);
  });
});

// ---------------------------------------------------------------------------------------------
// untrustedFetch: openid-client's customFetch for an OpenID provider's endpoints
// ---------------------------------------------------------------------------------------------

/** The UntrustedFetchError a call failed with; fails the test if it resolved or threw anything else. */
async function fetchFailure(p: Promise<unknown>): Promise<UntrustedFetchError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected an UntrustedFetchError').toBeInstanceOf(UntrustedFetchError);
  return caught as UntrustedFetchError;
}

const rp = (o: Partial<Parameters<typeof untrustedFetch>[0]> = {}) => untrustedFetch({ path: 'oidc', allowPrivate: true, maxBytes: 1024 * 1024, timeoutMs: 2000, ...o });

/** dns.lookup answering these names with an IPv4 address (null: not found); any other name as usual. Restore it after. */
function fakeDns(answers: Record<string, string | null>) {
  const realLookup = dns.lookup;
  return vi.spyOn(dns, 'lookup').mockImplementation(((name: string, options: unknown, callback: (...a: unknown[]) => void) => {
    if (!(name in answers)) return (realLookup as (...a: unknown[]) => void)(name, options, callback);
    const address = answers[name];
    if (address === null) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    return (options as { all?: boolean }).all ? callback(null, [{ address, family: 4 }]) : callback(null, address, 4);
  }) as never);
}

describe('untrustedFetch: refused targets', () => {
  it.each<[string, () => string]>([
    ['http:// when private targets are not allowed', () => `${origin}/doc`],
    ['a loopback literal', () => `https://127.0.0.1:${port}/doc`],
    ['localhost', () => `https://localhost:${port}/doc`],
    ['the metadata address', () => 'https://169.254.169.254/latest/meta-data/'],
    ['credentials', () => 'https://user:pw@op.example.com/token'],
  ])('%s', async (_, url) => {
    const err = await fetchFailure(rp({ allowPrivate: false })(url()));
    expect(err.kind).toBe('refused');
    expect(connections).toBe(0);
  });

  it('refuses a public-looking name that resolves to a private address, on the address it would connect to (DNS rebinding)', async () => {
    const lookup = fakeDns({ 'op.rebind.example': '127.0.0.1' });
    try {
      const err = await fetchFailure(rp({ allowPrivate: false })(`https://op.rebind.example:${port}/token`, { method: 'POST', body: 'x=1' }));
      expect(err.kind).toBe('refused');
      expect(err.message).toMatch(/private/);
      expect(lookup.mock.calls.some((c) => c[0] === 'op.rebind.example')).toBe(true);
      expect(connections).toBe(0);
    } finally {
      lookup.mockRestore();
    }
  });
});

describe('untrustedFetch with allowPrivate=true (development)', () => {
  it('POSTs a form as openid-client sends it and answers a Response with status, headers and body', async () => {
    const res = await rp()(`${origin}/echo`, { method: 'POST', headers: { authorization: 'Basic eDp5', accept: 'application/json' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }), redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seen')).toBe('yes');
    expect(await res.json()).toEqual({ method: 'POST', contentType: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'grant_type=authorization_code&code=c', auth: 'Basic eDp5' });
  });

  it('does not follow a redirect: the 3xx is the answer', async () => {
    const res = await rp()(`${origin}/redirect`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/target');
    expect(hits).toEqual(['/redirect']);
  });

  it('refuses an answer over maxBytes, and an endless one', async () => {
    expect((await rp({ maxBytes: 100 })(`${origin}/size?n=100`)).status).toBe(200);
    expect((await fetchFailure(rp({ maxBytes: 100 })(`${origin}/size?n=101`))).kind).toBe('too_large');
    expect((await fetchFailure(rp({ maxBytes: 64 * 1024 })(`${origin}/endless`))).kind).toBe('too_large');
  });

  it('gives up at its timeout on a server that never answers, and on a body that stops half-way', async () => {
    const t0 = Date.now();
    expect((await fetchFailure(rp({ timeoutMs: 300 })(`${origin}/hang`))).kind).toBe('timeout');
    expect((await fetchFailure(rp({ timeoutMs: 300 })(`${origin}/hang-body`))).kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('ends at the caller’s deadline (one signal over a whole exchange) and at the request’s own signal', async () => {
    const t0 = Date.now();
    const deadline = AbortSignal.timeout(200);
    expect((await fetchFailure(rp({ timeoutMs: 10_000, signal: deadline })(`${origin}/hang`))).kind).toBe('timeout');
    // Once the deadline has passed, no further request is even made.
    hits.length = 0;
    expect((await fetchFailure(rp({ timeoutMs: 10_000, signal: deadline })(`${origin}/doc`))).kind).toBe('timeout');
    expect(hits).toEqual([]);
    expect((await fetchFailure(rp({ timeoutMs: 10_000 })(`${origin}/hang`, { signal: AbortSignal.timeout(200) }))).kind).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('answers a port where nothing listens with one message (no port scanner)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const freePort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await fetchFailure(rp()(`http://127.0.0.1:${freePort}/token`));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/could not be reached \(no answer\)/);
  });
});

describe('internal names cannot be probed', () => {
  it('a name that resolves to a private address and one that does not resolve read the same, in every helper', async () => {
    const lookup = fakeDns({ 'vm.internal.example': '10.1.2.3', 'nothing.internal.example': null });
    try {
      const messages = async (name: string) => {
        const url = `https://${name}/x`;
        const text = (e: unknown) => (e as Error).message.replaceAll(name, 'NAME');
        return [
          text(await refusal(assertPublicHost(name, PATH))),
          text(await refusal(fetchUntrusted(url, strict))),
          text(await refusal(postUntrusted(url, 'x', strict))),
          text(await fetchFailure(untrustedFetch({ ...strict, path: PATH })(url))),
        ];
      };
      const [internal, unknown] = [await messages('vm.internal.example'), await messages('nothing.internal.example')];
      expect(internal).toEqual(unknown);
      for (const m of internal) expect(m).toMatch(/not allowed|could not/);
    } finally {
      lookup.mockRestore();
    }
  });
});
