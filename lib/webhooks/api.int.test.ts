process.env.ALLOW_PRIVATE_URLS = 'false'; // the API refuses http:// and private addresses (the delivery tests allow them)

import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import * as openapiRoute from '@/app/api/v1/openapi.json/route';
import * as tenantRoutes from '@/app/api/v1/tenants/route';
import * as tHooks from '@/app/api/v1/tenants/[tenantId]/webhooks/route';
import * as tHook from '@/app/api/v1/tenants/[tenantId]/webhooks/[webhookId]/route';
import * as tRotate from '@/app/api/v1/tenants/[tenantId]/webhooks/[webhookId]/rotate-secret/route';
import * as tTest from '@/app/api/v1/tenants/[tenantId]/webhooks/[webhookId]/test/route';
import * as tDeliveries from '@/app/api/v1/tenants/[tenantId]/webhooks/[webhookId]/deliveries/route';
import * as tResend from '@/app/api/v1/tenants/[tenantId]/webhooks/[webhookId]/deliveries/[deliveryId]/resend/route';
import * as oHooks from '@/app/api/v1/webhooks/route';
import * as oHook from '@/app/api/v1/webhooks/[webhookId]/route';
import * as oRotate from '@/app/api/v1/webhooks/[webhookId]/rotate-secret/route';
import * as oTest from '@/app/api/v1/webhooks/[webhookId]/test/route';
import * as oDeliveries from '@/app/api/v1/webhooks/[webhookId]/deliveries/route';
import * as oResend from '@/app/api/v1/webhooks/[webhookId]/deliveries/[deliveryId]/resend/route';
import { getDb } from '../db/client';
import { call } from '../testing/api';

const marker = `m${Date.now().toString(36)}${process.pid}`;
const url = (path = 'hook') => `https://siem-${marker}.example.com/${path}`;

async function newTenant() {
  const r = await call(tenantRoutes.POST, { method: 'POST', body: { name: `Hooks API ${marker}` } });
  expect(r.status).toBe(201);
  return r.body as { id: string };
}

/** What a refused request could have written: endpoints and webhook.* audit events carrying the marker, and the tenant's chain length. */
async function footprint(tenantId?: string) {
  const db = await getDb();
  const rows = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;
  const [e] = rows(await db.execute(sql`select count(*)::int as n from webhook_endpoints where url like ${`%${marker}%`}`));
  const [a] = rows(await db.execute(sql`select count(*)::int as n from audit_events where action like 'webhook.%' and details::text like ${`%${marker}%`}`));
  const [c] = tenantId ? rows(await db.execute(sql`select last_seq from audit_chains where chain_key = ${tenantId}`)) : [{ last_seq: null }];
  return { endpoints: e.n, events: a.n, seq: c?.last_seq ?? null };
}

const badBodies: [string, unknown, string][] = [
  ['no body fields', {}, 'url'],
  ['url not a string', { url: 42 }, 'url'],
  ['url not absolute', { url: `/${marker}/hook` }, 'url'],
  ['url ftp', { url: `ftp://${marker}.example.com/` }, 'url'],
  ['url http (ALLOW_PRIVATE_URLS off)', { url: `http://${marker}.example.com/hook` }, 'url'],
  ['url with credentials', { url: `https://u:p@${marker}.example.com/hook` }, 'url'],
  ['url loopback', { url: `https://127.0.0.1/${marker}` }, 'url'],
  ['url localhost', { url: `https://localhost/${marker}` }, 'url'],
  ['url metadata address', { url: `https://169.254.169.254/${marker}` }, 'url'],
  ['url private IPv6', { url: `https://[fd00::1]/${marker}` }, 'url'],
  ['kind unknown', { url: url(), kind: 'email' }, 'kind'],
  ['events not an array', { url: url(), events: 'user.*' }, 'events'],
  ['events empty', { url: url(), events: [] }, 'events'],
  ['events bad pattern', { url: url(), events: ['user.*', '*.created'] }, 'events.1'],
  ['events repeated', { url: url(), events: ['user.*', 'user.*'] }, 'events'],
  ['description too long', { url: url(), description: 'x'.repeat(201) }, 'description'],
];

async function refused(r: { status: number; body: any; headers: Headers }, path: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(400);
  expect(r.headers.get('content-type')).toBe('application/problem+json');
  expect(r.body.errors.map((e: { path: string }) => e.path)).toContain(path);
}

describe('webhooks API (tenant)', () => {
  it('creates (201, secret once), lists, gets, patches, rotates, deletes; audit events never carry the secret', async () => {
    const t = await newTenant();
    const params = { tenantId: t.id };
    const c = await call(tHooks.POST, { method: 'POST', params, body: { url: url(), description: 'SIEM' , kind: 'audit_stream' } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      tenantId: t.id,
      kind: 'audit_stream',
      url: url(),
      events: ['*'],
      description: 'SIEM',
      enabled: true,
      health: { failures: 0, lastError: null, lastDeliveredAt: null, nextAttemptAt: null },
    });
    expect(c.body.secret).toMatch(/^whsec_/);
    const id = c.body.id as string;
    const secret = c.body.secret as string;

    const d = await call(tHooks.POST, { method: 'POST', params, body: { url: url('changes') } });
    expect(d.body).toMatchObject({ kind: 'webhook', events: ['user.*', 'connection.*'], description: null });

    const list = await call(tHooks.GET, { params });
    expect(list.status).toBe(200);
    expect(list.body.data.map((x: { id: string }) => x.id)).toEqual([d.body.id, id]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');
    const paged = await call(tHooks.GET, { params, path: '/x?limit=1' });
    expect(paged.body.data).toHaveLength(1);
    expect(paged.body.nextCursor).toBe(d.body.id);

    const g = await call(tHook.GET, { params: { ...params, webhookId: id } });
    expect(g.status).toBe(200);
    expect(g.body.secret).toBeUndefined();

    const p = await call(tHook.PATCH, { method: 'PATCH', params: { ...params, webhookId: id }, body: { enabled: false, events: ['user.*', 'sso.login_failed'] } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ enabled: false, events: ['user.*', 'sso.login_failed'], kind: 'audit_stream' });

    const r = await call(tRotate.POST, { method: 'POST', params: { ...params, webhookId: id } });
    expect(r.status).toBe(200);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(r.body.secret).not.toBe(secret);

    const del = await call(tHook.DELETE, { method: 'DELETE', params: { ...params, webhookId: id } });
    expect(del.status).toBe(204);
    expect((await call(tHook.GET, { params: { ...params, webhookId: id } })).status).toBe(404);

    const db = await getDb();
    const events = (await db.execute(sql`select action, details from audit_events where tenant_id = ${t.id} and action like 'webhook.%' order by id`)) as unknown as {
      rows: { action: string; details: Record<string, unknown> | null }[];
    };
    expect(events.rows.map((e) => e.action)).toEqual(['webhook.created', 'webhook.created', 'webhook.updated', 'webhook.secret_rotated', 'webhook.deleted']);
    expect(events.rows[2].details).toEqual({ before: { enabled: true, events: ['*'] }, after: { enabled: false, events: ['user.*', 'sso.login_failed'] } });
    // The rotation names the secrets by fingerprint only: the first 8 hex digits of their SHA-256.
    const print = (v: string) => `sha256:${createHash('sha256').update(v).digest('hex').slice(0, 8)}…`;
    expect(events.rows[3].details).toEqual({ before: { secret: print(secret) }, after: { secret: print(r.body.secret) } });
    const all = JSON.stringify(events.rows);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(r.body.secret);
    expect(all).not.toContain('whsec_');
  });

  it('rotates a secret that no longer decrypts (AUTH_SECRET changed): the rotation repairs it, named "unreadable" in the audit log', async () => {
    const t = await newTenant();
    const params = { tenantId: t.id };
    const c = await call(tHooks.POST, { method: 'POST', params, body: { url: url() } });
    const db = await getDb();
    await db.execute(sql`update webhook_endpoints set secret_encrypted = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA' where id = ${c.body.id}`);
    const r = await call(tRotate.POST, { method: 'POST', params: { ...params, webhookId: c.body.id } });
    expect(r.status).toBe(200);
    expect(r.body.secret).toMatch(/^whsec_/);
    const ev = (await db.execute(sql`select details from audit_events where tenant_id = ${t.id} and action = 'webhook.secret_rotated'`)) as unknown as { rows: { details: { before: unknown } }[] };
    expect(ev.rows.map((e) => e.details.before)).toEqual([{ secret: 'unreadable' }]);
  });

  it('keeps a URL\'s query string (which may hold a receiver token) out of the audit log', async () => {
    const t = await newTenant();
    const c = await call(tHooks.POST, { method: 'POST', params: { tenantId: t.id }, body: { url: `${url()}?token=hec-secret-1` } });
    expect(c.body.url).toBe(`${url()}?token=hec-secret-1`);
    const p = await call(tHook.PATCH, { method: 'PATCH', params: { tenantId: t.id, webhookId: c.body.id }, body: { url: `${url()}?token=hec-secret-2` } });
    expect(p.body.url).toBe(`${url()}?token=hec-secret-2`);
    const db = await getDb();
    const rows = ((await db.execute(sql`select action, target_label, details from audit_events where tenant_id = ${t.id} and action like 'webhook.%' order by id`)) as unknown as { rows: { action: string }[] }).rows;
    expect(rows.map((r) => r.action)).toEqual(['webhook.created', 'webhook.updated']);
    expect(JSON.stringify(rows)).not.toContain('hec-secret');
    expect(JSON.stringify(rows)).toContain(`${url()}?…`);
  });

  it.each(badBodies)('POST refuses %s with 400 naming the field, and writes nothing', async (_n, body, path) => {
    const t = await newTenant();
    const before = await footprint(t.id);
    await refused(await call(tHooks.POST, { method: 'POST', params: { tenantId: t.id }, body }), path);
    expect(await footprint(t.id)).toEqual(before);
  });

  it('refuses malformed JSON, unknown PATCH fields (kind), bad query and path parameters; 404 across tenants; 401 without a key', async () => {
    const [a, b] = [await newTenant(), await newTenant()];
    const ep = (await call(tHooks.POST, { method: 'POST', params: { tenantId: a.id }, body: { url: url() } })).body;
    const before = [await footprint(a.id), await footprint(b.id)];
    const hook = { tenantId: a.id, webhookId: ep.id };

    expect((await call(tHooks.POST, { method: 'POST', params: { tenantId: a.id }, rawBody: '{"url":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    await refused(await call(tHook.PATCH, { method: 'PATCH', params: hook, body: { kind: 'audit_stream' } }), 'kind');
    await refused(await call(tHook.PATCH, { method: 'PATCH', params: hook, body: { enabled: 'no' } }), 'enabled');
    await refused(await call(tHook.PATCH, { method: 'PATCH', params: hook, body: { url: `http://${marker}.example.com/` } }), 'url');
    await refused(await call(tHook.PATCH, { method: 'PATCH', params: hook, body: { events: ['nope'] } }), 'events.0');
    await refused(await call(tHook.PATCH, { method: 'PATCH', params: hook, body: { url: 'https://10.0.0.8/x', enabled: false } }), 'url');
    await refused(await call(tHooks.GET, { params: { tenantId: a.id }, path: '/x?limit=0' }), 'limit');
    await refused(await call(tDeliveries.GET, { params: hook, path: '/x?status=lost' }), 'status');
    await refused(await call(tHook.GET, { params: { tenantId: a.id, webhookId: 'x'.repeat(65) } }), 'webhookId');

    // Tenant B cannot reach tenant A's endpoint through any route; the operator-wide routes do not list it.
    const cross = { tenantId: b.id, webhookId: ep.id };
    expect((await call(tHook.GET, { params: cross })).status).toBe(404);
    expect((await call(tHook.PATCH, { method: 'PATCH', params: cross, body: { enabled: false } })).status).toBe(404);
    expect((await call(tHook.DELETE, { method: 'DELETE', params: cross })).status).toBe(404);
    expect((await call(tRotate.POST, { method: 'POST', params: cross })).status).toBe(404);
    expect((await call(tTest.POST, { method: 'POST', params: cross })).status).toBe(404);
    expect((await call(tDeliveries.GET, { params: cross })).status).toBe(404);
    expect((await call(tResend.POST, { method: 'POST', params: { ...cross, deliveryId: 'whd_x' } })).status).toBe(404);
    expect((await call(oHook.GET, { params: { webhookId: ep.id } })).status).toBe(404);
    expect((await call(tResend.POST, { method: 'POST', params: { ...hook, deliveryId: 'whd_missing' } })).status).toBe(404);
    expect((await call(tHooks.GET, { params: { tenantId: 'tnt_missing' } })).status).toBe(404);
    expect((await call(tHooks.POST, { method: 'POST', params: { tenantId: 'tnt_missing' }, body: { url: url() } })).status).toBe(404);

    expect((await call(tHooks.GET, { params: { tenantId: a.id }, key: null })).status).toBe(401);
    expect((await call(tHooks.POST, { method: 'POST', params: { tenantId: a.id }, key: 'wrong-key-0123456789', body: { url: url() } })).status).toBe(401);
    expect((await call(oHooks.POST, { method: 'POST', key: null, body: { url: url() } })).status).toBe(401);

    expect([await footprint(a.id), await footprint(b.id)]).toEqual(before);
    expect((await call(tHook.GET, { params: hook })).body).toMatchObject({ enabled: true, kind: 'webhook' });
  });

  it('a tenant has at most 20 endpoints: the 21st is a 409 naming url, written nowhere', async () => {
    const t = await newTenant();
    const params = { tenantId: t.id };
    const made = await Promise.all(Array.from({ length: 20 }, () => call(tHooks.POST, { method: 'POST', params, body: { url: url() } })));
    expect(made.map((r) => r.status)).toEqual(Array(20).fill(201));
    // Two more at once: the tenant's lock lets neither past the limit.
    const over = await Promise.all([0, 1].map(() => call(tHooks.POST, { method: 'POST', params, body: { url: url() } })));
    for (const r of over) {
      expect(r.status).toBe(409);
      expect(r.body.errors.map((e: { path: string }) => e.path)).toEqual(['url']);
    }
    expect((await call(tHooks.GET, { params, path: '/x?limit=200' })).body.data).toHaveLength(20);
  });

  it('a test event to a URL the portal may not reach is a failed delivery, logged, not an error', async () => {
    const t = await newTenant();
    const ep = (await call(tHooks.POST, { method: 'POST', params: { tenantId: t.id }, body: { url: `https://does-not-exist-${marker}.invalid/hook` } })).body;
    const r = await call(tTest.POST, { method: 'POST', params: { tenantId: t.id, webhookId: ep.id } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'failed', httpStatus: null, manual: true, eventType: 'webhook.test', attempt: 1 });
    expect(r.body.error).toMatch(/could not be resolved|could not be reached/);
    const log = await call(tDeliveries.GET, { params: { tenantId: t.id, webhookId: ep.id } });
    expect(log.body.data.map((d: { id: string }) => d.id)).toEqual([r.body.id]);
    const again = await call(tResend.POST, { method: 'POST', params: { tenantId: t.id, webhookId: ep.id, deliveryId: r.body.id } });
    expect(again.body).toMatchObject({ eventId: r.body.eventId, attempt: 2, manual: true });
  });
});

describe('webhooks API (operator-wide)', () => {
  it('creates, lists, patches, rotates, tests and deletes operator-wide endpoints; they are not in any tenant', async () => {
    const c = await call(oHooks.POST, { method: 'POST', body: { url: url('ops'), kind: 'audit_stream', events: ['sso.*', 'tenant.created'] } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ tenantId: null, kind: 'audit_stream', events: ['sso.*', 'tenant.created'] });
    expect(c.body.secret).toMatch(/^whsec_/);
    const id = c.body.id as string;
    const list = await call(oHooks.GET, { path: '/x?limit=200' });
    expect(list.body.data.some((x: { id: string }) => x.id === id)).toBe(true);
    expect(list.body.data.every((x: { tenantId: string | null }) => x.tenantId === null)).toBe(true);
    const t = await newTenant();
    expect((await call(tHook.GET, { params: { tenantId: t.id, webhookId: id } })).status).toBe(404);
    expect((await call(oHook.PATCH, { method: 'PATCH', params: { webhookId: id }, body: { description: 'all tenants' } })).body.description).toBe('all tenants');
    expect((await call(oRotate.POST, { method: 'POST', params: { webhookId: id } })).body.secret).toMatch(/^whsec_/);
    const test = await call(oTest.POST, { method: 'POST', params: { webhookId: id } });
    expect(test.status).toBe(200);
    expect(test.body).toMatchObject({ status: 'failed', manual: true });
    const log = await call(oDeliveries.GET, { params: { webhookId: id }, path: '/x?status=failed' });
    expect(log.body.data).toHaveLength(1);
    expect((await call(oResend.POST, { method: 'POST', params: { webhookId: id, deliveryId: test.body.id } })).status).toBe(200);
    expect((await call(oHook.DELETE, { method: 'DELETE', params: { webhookId: id } })).status).toBe(204);
    expect((await call(oHook.GET, { params: { webhookId: id } })).status).toBe(404);
    const db = await getDb();
    const ev = (await db.execute(sql`select action from audit_events where chain_key = 'operator' and target_id = ${id} order by id`)) as unknown as { rows: { action: string }[] };
    expect(ev.rows.map((r) => r.action)).toEqual(['webhook.created', 'webhook.updated', 'webhook.secret_rotated', 'webhook.deleted']);
  });

  it.each(badBodies)('POST refuses %s with 400 naming the field, and writes nothing', async (_n, body, path) => {
    const before = await footprint();
    await refused(await call(oHooks.POST, { method: 'POST', body }), path);
    expect(await footprint()).toEqual(before);
  });

  it('PATCH refuses bad input and writes nothing', async () => {
    const ep = (await call(oHooks.POST, { method: 'POST', body: { url: url('patch') } })).body;
    const before = await footprint();
    await refused(await call(oHook.PATCH, { method: 'PATCH', params: { webhookId: ep.id }, body: { kind: 'webhook' } }), 'kind');
    await refused(await call(oHook.PATCH, { method: 'PATCH', params: { webhookId: ep.id }, body: { events: [] } }), 'events');
    await refused(await call(oHook.PATCH, { method: 'PATCH', params: { webhookId: ep.id }, body: { url: 'https://192.168.1.1/' } }), 'url');
    expect(await footprint()).toEqual(before);
  });
});

describe('openapi.json', () => {
  it('documents every webhook operation and how to verify a signature', async () => {
    const r = await call(async () => openapiRoute.GET(), { key: null });
    const paths = Object.keys(r.body.paths);
    for (const p of [
      '/tenants/{tenantId}/webhooks',
      '/tenants/{tenantId}/webhooks/{webhookId}',
      '/tenants/{tenantId}/webhooks/{webhookId}/rotate-secret',
      '/tenants/{tenantId}/webhooks/{webhookId}/test',
      '/tenants/{tenantId}/webhooks/{webhookId}/deliveries',
      '/tenants/{tenantId}/webhooks/{webhookId}/deliveries/{deliveryId}/resend',
      '/webhooks',
      '/webhooks/{webhookId}',
      '/webhooks/{webhookId}/rotate-secret',
      '/webhooks/{webhookId}/test',
      '/webhooks/{webhookId}/deliveries',
      '/webhooks/{webhookId}/deliveries/{deliveryId}/resend',
    ]) expect(paths).toContain(p);
    expect(JSON.stringify(r.body.paths['/webhooks'])).toContain('Portal-Signature: t=<unix seconds>,v1=');
    expect(r.body.paths['/tenants/{tenantId}/webhooks'].post.tags).toEqual(['Webhooks']);
  });
});
