import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as connectionsRoute from '@/app/api/v1/tenants/[tenantId]/connections/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as webhooksRoute from '@/app/api/v1/tenants/[tenantId]/webhooks/route';
import { getDb } from '@/lib/db/client';
import { call, uniqueDomain } from '@/lib/testing/api';
import { sendEvent } from '@/lib/webhooks/send';

/**
 * Findings: ALLOW_PRIVATE_URLS was on by default (PUBLIC_URL unset); a webhook to an internal
 * address echoed 200 characters of the internal answer (credentials) into the delivery log; a
 * metadata URL to 127.0.0.1:5432 answered differently from a closed port (a port scanner).
 */
const g = globalThis as Record<string, unknown>;
const setPrivate = (on: boolean) => {
  process.env.ALLOW_PRIVATE_URLS = on ? 'true' : 'false';
  g.__portalEnv = undefined;
};

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let internal: http.Server;
let internalUrl: string;
/** A TCP service that does not speak HTTP (as PostgreSQL on 5432 does not). */
let notHttp: import('node:net').Server;
let notHttpPort: number;

beforeAll(async () => {
  await getDb();
  internal = http.createServer((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('internal-credentials: AKIA-SECRET-0123456789');
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}/hook`;
  notHttp = createServer((sock) => sock.end('\u0000\u0000\u0000\u0008garbage'));
  await new Promise<void>((r) => notHttp.listen(0, '127.0.0.1', r));
  notHttpPort = (notHttp.address() as AddressInfo).port;
});
afterAll(async () => {
  setPrivate(false);
  internal.closeAllConnections();
  internal.close();
  notHttp.close();
});

async function tenant() {
  return (await call(tenantRoutes.POST, { method: 'POST', body: { name: `SSRF ${uniqueDomain('s')}` } })).body as { id: string };
}
const metadataUrlAnswer = async (tenantId: string, metadataUrl: string) => {
  const res = await call(connectionsRoute.POST, { method: 'POST', params: { tenantId }, body: { type: 'saml', metadataUrl } });
  return { status: res.status, message: res.body.errors?.[0]?.message as string };
};

describe('outbound requests to addresses an outsider names', () => {
  it('refuse loopback targets by default, every port reading the same', async () => {
    setPrivate(false);
    const t = await tenant();
    const answers = await Promise.all(
      [`http://127.0.0.1:${notHttpPort}/`, `https://127.0.0.1:${notHttpPort}/`, `https://127.0.0.1:${await closedPort()}/`, 'https://localhost:5432/'].map((u) => metadataUrlAnswer(t.id, u)),
    );
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([400]));
    expect(answers.filter((a) => a.message.includes('https://')).length + answers.filter((a) => a.message.includes('private')).length).toBe(4);
    const hook = await call(webhooksRoute.POST, { method: 'POST', params: { tenantId: t.id }, body: { url: internalUrl.replace('http:', 'https:'), events: ['user.*'] } });
    expect(hook.status).toBe(400);
  });

  it('with ALLOW_PRIVATE_URLS (development): a non-HTTP port and a closed port answer the same', async () => {
    setPrivate(true);
    const t = await tenant();
    const a = await metadataUrlAnswer(t.id, `http://127.0.0.1:${notHttpPort}/metadata`);
    const b = await metadataUrlAnswer(t.id, `http://127.0.0.1:${await closedPort()}/metadata`);
    expect(a).toEqual({ status: 400, message: 'could not be fetched (no answer)' });
    expect(b).toEqual(a);
    setPrivate(false);
  });

  it('with ALLOW_PRIVATE_URLS: a delivery to an internal receiver logs its status, never its body', async () => {
    setPrivate(true);
    const r = await sendEvent(internalUrl, 'whsec_test', { id: 'evt_1', type: 'user.created', occurredAt: new Date().toISOString(), tenantId: null, data: {} } as never);
    expect(r.ok).toBe(false);
    expect(r.httpStatus).toBe(500);
    expect(r.error).toBe('HTTP 500');
    expect(JSON.stringify(r)).not.toContain('SECRET');
    setPrivate(false);
  });
});
