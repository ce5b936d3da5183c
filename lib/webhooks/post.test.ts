import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { postUntrusted } from '../http/safe-fetch';

/** postUntrusted (the webhook POST) against a real local server. */
let server: http.Server;
let port = 0;
let connections = 0;
const got: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
const hanging = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      if (req.url === '/hang') return void hanging.add(res);
      if (req.url === '/redirect') {
        res.writeHead(307, { location: '/elsewhere' });
        return res.end();
      }
      if (req.url === '/big') {
        res.writeHead(500);
        return res.end('x'.repeat(100_000));
      }
      res.writeHead(202);
      res.end('accepted');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  got.length = 0;
  connections = 0;
});

const strict = { path: 'url', allowPrivate: false, timeoutMs: 2000 };
const lax = { path: 'url', allowPrivate: true, timeoutMs: 2000 };

describe('postUntrusted', () => {
  it.each([
    ['http://', () => `http://127.0.0.1:${port}/x`, /https/],
    ['loopback over https', () => `https://127.0.0.1:${port}/x`, /private|loopback/],
    ['localhost', () => `https://localhost:${port}/x`, /private|loopback/],
    ['IPv4-mapped loopback', () => `https://[::ffff:127.0.0.1]:${port}/x`, /private|loopback/],
    ['credentials', () => `https://u:p@example.com/x`, /credentials/],
    ['not a URL', () => 'nope', /absolute/],
  ])('refuses %s before connecting when private addresses are not allowed', async (_n, url, msg) => {
    const err = await postUntrusted(url(), '{}', strict).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.message).toMatch(msg);
    expect(connections).toBe(0);
  });

  it('POSTs the body and headers and answers any HTTP status', async () => {
    const r = await postUntrusted(`http://127.0.0.1:${port}/hook`, '{"a":"é"}', { ...lax, headers: { 'content-type': 'application/json', 'X-Test': '1' } });
    // The receiver is on a private (loopback) address: its status is kept, never its body.
    expect(r).toEqual({ status: 202, body: '' });
    expect(got[0]).toMatchObject({ url: '/hook', body: '{"a":"é"}' });
    expect(got[0].headers['x-test']).toBe('1');
    expect(got[0].headers['content-length']).toBe(String(Buffer.byteLength('{"a":"é"}')));
  });

  it('does not follow redirects, and keeps no answer body from a private address', async () => {
    expect((await postUntrusted(`http://127.0.0.1:${port}/redirect`, '{}', lax)).status).toBe(307);
    expect(got.map((g) => g.url)).toEqual(['/redirect']);
    const big = await postUntrusted(`http://127.0.0.1:${port}/big`, '{}', { ...lax, maxBytes: 100 });
    expect(big).toEqual({ status: 500, body: '' });
  });

  it('gives up on a receiver that never answers', async () => {
    const started = Date.now();
    const err = await postUntrusted(`http://127.0.0.1:${port}/hang`, '{}', { ...lax, timeoutMs: 300 }).catch((e) => e);
    expect(err.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
