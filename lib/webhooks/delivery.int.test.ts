process.env.ALLOW_PRIVATE_URLS = 'true'; // the receivers below listen on 127.0.0.1

import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { record } from '../audit/record';
import type { Ctx } from '../audit/types';
import { deleteUser, suspendUser } from '../dal/users';
import { createTenant } from '../dal/tenants';
import { createWebhook, getWebhook, listDeliveries, resendDelivery, rotateWebhookSecret, sendTestEvent, updateWebhook } from '../dal/webhooks';
import { getDb } from '../db/client';
import { auditEvents, users, webhookCursors, webhookDeliveries, webhookEndpoints } from '../db/schema';
import { newId } from '../ids';
import { runJob, type Job } from '../jobs/scheduler';
import { verifySignature } from './signature';
import { TestReceiver } from './test-receiver';
import { DISABLE_AFTER_FAILURES } from './filter';
import { deliverDue, pruneDeliveries, webhooksJob, type WorkerOptions } from './worker';

const ctx: Ctx = { actor: { type: 'operator', id: 'op_test', label: 'tester' } };
const receivers: TestReceiver[] = [];

async function receiver(): Promise<TestReceiver> {
  const r = await new TestReceiver().start();
  receivers.push(r);
  return r;
}
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});

async function tenant(label = 'Hooks') {
  return createTenant(ctx, { name: `${label} ${newId('x').slice(-6)}` });
}

/** Writes audit events to a tenant's chain (or the operator's), each in its own transaction, in order. */
async function emit(tenantId: string | null, actions: string[]): Promise<string[]> {
  const db = await getDb();
  const ids: string[] = [];
  for (const action of actions) {
    ids.push(await db.transaction((tx) => record(tx, ctx, { tenantId, action, target: { type: 'thing', id: newId('thg') }, details: { n: ids.length } })));
  }
  return ids;
}

/** Runs the worker over these endpoints only (other test files share the PostgreSQL database). */
async function deliver(ids: string[], opts: WorkerOptions = {}) {
  return deliverDue(await getDb(), { endpointIds: ids, ...opts });
}

async function endpointRow(id: string) {
  const db = await getDb();
  const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
  return row;
}

/** Makes a retry due now (as if its backoff had passed). */
async function timePasses(id: string) {
  const db = await getDb();
  await db.update(webhookEndpoints).set({ nextAttemptAt: sql`now() - interval '1 millisecond'` }).where(eq(webhookEndpoints.id, id));
}

describe('webhook delivery from the audit log', () => {
  it('delivers a tenant’s events in order, signed, with the documented payload and headers', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    expect(ep.secret).toMatch(/^whsec_/);
    const ids = await emit(t.id, ['a.one', 'a.two', 'a.three', 'a.four', 'a.five']);
    const r = await deliver([ep.id]);
    expect(r).toMatchObject({ endpoints: 1, delivered: 5, failed: 0 });
    expect(rx.received.map((x) => x.id)).toEqual(ids);
    for (const x of rx.received) {
      expect(verifySignature(x.headers['portal-signature'] as string, x.raw, ep.secret)).toBe(true);
      expect(verifySignature(x.headers['portal-signature'] as string, x.raw, 'whsec_wrong')).toBe(false);
      expect(x.headers['content-type']).toBe('application/json');
      expect(x.headers['portal-event-type']).toBe(x.body.type);
    }
    const first = rx.received[0].body;
    expect(Object.keys(first).sort()).toEqual(['data', 'id', 'occurredAt', 'tenantId', 'type']);
    expect(first).toMatchObject({
      id: ids[0],
      type: 'a.one',
      tenantId: t.id,
      data: { actor: { type: 'operator', id: 'op_test', label: 'tester' }, target: { type: 'thing' }, outcome: 'success', reason: null, details: { n: 0 } },
    });
    expect(new Date(first.occurredAt).toISOString()).toBe(first.occurredAt);
    // The log has one delivered row per event, and nothing is due any more.
    const log = await listDeliveries({ tenantId: t.id }, ep.id, { limit: 50 });
    expect(log.data.map((d) => d.eventId).reverse()).toEqual(ids);
    expect(log.data.every((d) => d.status === 'delivered' && d.httpStatus === 200 && d.attempt === 1 && !d.manual)).toBe(true);
    expect((await getWebhook({ tenantId: t.id }, ep.id)).health).toMatchObject({ failures: 0, lastError: null, nextAttemptAt: null });
    expect((await deliver([ep.id])).delivered).toBe(0);
    expect(rx.received).toHaveLength(5);
  });

  it('does not replay history: only events after the endpoint was made', async () => {
    const t = await tenant();
    await emit(t.id, ['old.one', 'old.two']);
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const ids = await emit(t.id, ['new.one']);
    await deliver([ep.id]);
    expect(rx.received.map((x) => x.id)).toEqual(ids);
  });

  it('retries a receiver that is down with growing backoff; nothing lost, nothing duplicated, order kept', async () => {
    const t = await tenant();
    const rx = await receiver();
    const port = rx.port;
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    await rx.stop(); // down: connection refused
    const ids = await emit(t.id, ['b.one', 'b.two', 'b.three']);

    const delays: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const before = Date.now();
      const r = await deliver([ep.id]);
      expect(r).toMatchObject({ delivered: 0, failed: 1 });
      const row = await endpointRow(ep.id);
      expect(row.failures).toBe(i);
      expect(row.lastError).toMatch(/could not be reached/);
      delays.push(row.nextAttemptAt!.getTime() - before);
      // Not due yet: a run now does nothing.
      expect((await deliver([ep.id])).endpoints).toBe(0);
      await timePasses(ep.id);
    }
    // 2 s, 4 s, 8 s each ±25 % (and some clock slack between the test and the database).
    expect(delays[0]).toBeGreaterThan(1000);
    expect(delays[0]).toBeLessThan(3500);
    expect(delays[1]).toBeGreaterThan(2500);
    expect(delays[1]).toBeLessThan(5500);
    expect(delays[2]).toBeGreaterThan(5500);
    expect(delays[2]).toBeLessThan(10_500);
    const view = await getWebhook({ tenantId: t.id }, ep.id);
    expect(view.health.failures).toBe(3);
    expect(view.health.nextAttemptAt).not.toBeNull();

    // Back up on the same port.
    rx.port = port;
    await rx.start();
    const r = await deliver([ep.id]);
    expect(r).toMatchObject({ delivered: 3, failed: 0 });
    expect(rx.received.map((x) => x.id)).toEqual(ids);
    expect(rx.received[0].headers['portal-delivery-attempt']).toBe('4');
    const log = (await listDeliveries({ tenantId: t.id }, ep.id, { limit: 50 })).data.reverse();
    expect(log.map((d) => [d.eventId, d.status, d.attempt])).toEqual([
      [ids[0], 'failed', 1],
      [ids[0], 'failed', 2],
      [ids[0], 'failed', 3],
      [ids[0], 'delivered', 4],
      [ids[1], 'delivered', 1],
      [ids[2], 'delivered', 1],
    ]);
    expect((await getWebhook({ tenantId: t.id }, ep.id)).health).toMatchObject({ failures: 0, lastError: null, nextAttemptAt: null });
  });

  it('redelivers the same event id when the answer is lost (a 500 after the receiver got it)', async () => {
    const t = await tenant();
    const rx = await receiver();
    rx.respond = (_r, n) => (n === 2 ? 500 : 200); // the second POST "crashes" after arriving
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const ids = await emit(t.id, ['c.one', 'c.two', 'c.three']);
    expect(await deliver([ep.id])).toMatchObject({ delivered: 1, failed: 1 });
    await timePasses(ep.id);
    expect(await deliver([ep.id])).toMatchObject({ delivered: 2, failed: 0 });
    expect(rx.received.map((x) => x.id)).toEqual([ids[0], ids[1], ids[1], ids[2]]);
    expect(rx.received[1].raw).toBe(rx.received[2].raw); // same event, same body
    expect(rx.uniqueIds).toEqual(ids); // a receiver deduping by id sees each event once, in order
    expect((await endpointRow(ep.id)).lastError).toBeNull();
  });

  it('gives up on a receiver that hangs after the timeout, and logs it', async () => {
    const t = await tenant();
    const rx = await receiver();
    rx.respond = () => 'hang';
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    await emit(t.id, ['d.one']);
    const started = Date.now();
    expect(await deliver([ep.id], { timeoutMs: 300 })).toMatchObject({ failed: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
    const [d] = (await listDeliveries({ tenantId: t.id }, ep.id, { limit: 5 })).data;
    expect(d).toMatchObject({ status: 'failed', httpStatus: null });
    expect(d.error).toMatch(/timed out/);
  });

  it('filters: change webhooks get user.* and connection.* by default, with the user’s current state; the cursor moves past the rest', async () => {
    const t = await tenant();
    const db = await getDb();
    const [u] = await db.insert(users).values({ id: newId('usr'), tenantId: t.id, email: `kim@${newId('d').slice(-8)}.example.com`, source: 'jit', roles: ['member'] }).returning();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url });
    expect(ep.kind).toBe('webhook');
    expect(ep.events).toEqual(['user.*', 'connection.*']);
    await emit(t.id, ['tenant.updated', 'sso.login_succeeded']);
    await suspendUser(ctx, t.id, u.id);
    const [conn] = await emit(t.id, ['connection.created', 'role_mapping.updated']);
    await deliver([ep.id]);
    expect(rx.received.map((x) => x.type)).toEqual(['user.suspended', 'connection.created']);
    const suspended = rx.received[0].body;
    expect(suspended.data.target).toMatchObject({ type: 'user', id: u.id });
    expect(suspended.data.user).toMatchObject({ id: u.id, email: u.email, status: 'suspended', roles: ['member'] });
    expect(rx.received[1].id).toBe(conn);
    expect(rx.received[1].body.data.user).toBeUndefined();
    // The cursor is at the chain's end: the filtered-out tail is not read again.
    const [cur] = await db.select().from(webhookCursors).where(eq(webhookCursors.endpointId, ep.id));
    const [head] = (await db.execute<{ last_seq: string }>(sql`select last_seq from audit_chains where chain_key = ${t.id}`) as unknown as { rows: { last_seq: string }[] }).rows;
    expect(cur.seq).toBe(Number(head.last_seq));

    // A deleted user: the event still goes out, without data.user.
    await deleteUser(ctx, t.id, u.id);
    await deliver([ep.id]);
    const deleted = rx.received.find((x) => x.type === 'user.deleted')!;
    expect(deleted).toBeDefined();
    expect(deleted.body.data.user).toBeUndefined();

    // An exact filter.
    const rx2 = await receiver();
    const only = await createWebhook(ctx, { tenantId: t.id }, { url: rx2.url, events: ['user.suspended'] });
    await emit(t.id, ['user.created', 'user.suspended', 'user.deleted']);
    await deliver([only.id]);
    expect(rx2.received.map((x) => x.type)).toEqual(['user.suspended']);
    // The SIEM stream kind never carries data.user.
    const rx3 = await receiver();
    const siem = await createWebhook(ctx, { tenantId: t.id }, { url: rx3.url, kind: 'audit_stream', events: ['user.*'] });
    await db.insert(users).values({ id: u.id + 'b', tenantId: t.id, email: `b-${u.email}`, source: 'jit' });
    await suspendUser(ctx, t.id, u.id + 'b');
    await deliver([siem.id]);
    expect(rx3.received.map((x) => x.type)).toEqual(['user.suspended']);
    expect(rx3.received[0].body.data.user).toBeUndefined();
  });

  it('keeps tenants apart: a tenant’s endpoint never receives another tenant’s events', async () => {
    const [a, b] = [await tenant('A'), await tenant('B')];
    const [rxA, rxB] = [await receiver(), await receiver()];
    const epA = await createWebhook(ctx, { tenantId: a.id }, { url: rxA.url, kind: 'audit_stream' });
    const epB = await createWebhook(ctx, { tenantId: b.id }, { url: rxB.url, kind: 'audit_stream' });
    const idsA: string[] = [];
    const idsB: string[] = [];
    for (let i = 0; i < 4; i++) {
      idsA.push(...(await emit(a.id, [`x.a${i}`])));
      idsB.push(...(await emit(b.id, [`x.b${i}`])));
    }
    await emit(null, ['operator.thing']);
    await deliver([epA.id, epB.id]);
    expect(rxA.received.map((x) => x.id)).toEqual(idsA);
    expect(rxB.received.map((x) => x.id)).toEqual(idsB);
    expect(rxA.received.every((x) => x.body.tenantId === a.id)).toBe(true);
    expect(rxB.received.every((x) => x.body.tenantId === b.id)).toBe(true);
    // Neither scope reaches the other's endpoint.
    await expect(getWebhook({ tenantId: b.id }, epA.id)).rejects.toMatchObject({ status: 404 });
    await expect(getWebhook({ tenantId: null }, epA.id)).rejects.toMatchObject({ status: 404 });
  });

  it('an operator-wide endpoint receives every tenant’s events and the operator’s, including tenants made later', async () => {
    const [a, b] = [await tenant('OA'), await tenant('OB')];
    await emit(a.id, ['before.created']);
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: null }, { url: rx.url, kind: 'audit_stream' });
    expect(ep.tenantId).toBeNull();
    const [ea] = await emit(a.id, ['ow.a']);
    const [eb] = await emit(b.id, ['ow.b']);
    const [eo] = await emit(null, ['ow.operator']);
    const c = await tenant('OC'); // a chain that did not exist when the endpoint was made: read from its start
    const [ec] = await emit(c.id, ['ow.c']);
    await deliver([ep.id]);
    const mine = rx.received.filter((x) => [a.id, b.id, c.id].includes(x.body.tenantId) || x.id === eo);
    const ids = mine.map((x) => x.id);
    expect(ids).toEqual(expect.arrayContaining([ea, eb, eo, ec]));
    expect(mine.find((x) => x.body.tenantId === c.id && x.type === 'tenant.created')).toBeDefined();
    expect(mine.find((x) => x.type === 'before.created')).toBeUndefined();
    expect(new Set(rx.received.map((x) => x.id)).size).toBe(rx.received.length); // no duplicates
    // Per chain, in seq order.
    const ofC = mine.filter((x) => x.body.tenantId === c.id).map((x) => x.id);
    expect(ofC.at(-1)).toBe(ec);
  });

  it('an operator-wide endpoint reads its chains in turn: a flood on one (anonymous sign-in failures on the operator’s) does not hold back the others', async () => {
    const t = await tenant('Flooded');
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: null }, { url: rx.url, kind: 'audit_stream' });
    await emit(null, Array.from({ length: 500 }, (_, i) => `flood.${i}`));
    const [mine] = await emit(t.id, ['user.suspended']);
    // One run with room for 400 deliveries: the tenant's event is among them.
    await deliver([ep.id], { maxDeliveries: 400 });
    expect(rx.received.map((x) => x.id)).toContain(mine);
    expect(rx.received.filter((x) => x.type.startsWith('flood.')).length).toBeGreaterThanOrEqual(100);
  }, 30_000);

  it('two workers at once deliver each event exactly once', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const ids = await emit(t.id, Array.from({ length: 20 }, (_, i) => `w.e${i}`));
    const job: Job = { ...webhooksJob, name: newId('job'), run: (db) => deliverDue(db, { endpointIds: [ep.id] }) };
    const [r1, r2] = await Promise.all([runJob(job, { holder: 'one' }), runJob(job, { holder: 'two' })]);
    expect([r1, r2].filter((r) => r === null)).toHaveLength(1); // the lease: one of them ran
    expect(rx.received.map((x) => x.id)).toEqual(ids);

    // Even without the lease (e.g. a runner outliving it), the endpoint claim keeps deliveries single.
    const more = await emit(t.id, Array.from({ length: 20 }, (_, i) => `w.f${i}`));
    await Promise.all([deliver([ep.id]), deliver([ep.id]), deliver([ep.id])]);
    expect(rx.received.map((x) => x.id)).toEqual([...ids, ...more]);
  });

  it('bounds each run and goes on where it stopped', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const ids = await emit(t.id, Array.from({ length: 7 }, (_, i) => `bound.e${i}`));
    expect(await deliver([ep.id], { maxDeliveries: 3 })).toMatchObject({ delivered: 3 });
    expect(rx.received.map((x) => x.id)).toEqual(ids.slice(0, 3));
    expect(await deliver([ep.id], { maxDeliveries: 3 })).toMatchObject({ delivered: 3 });
    expect(await deliver([ep.id], { maxDeliveries: 3 })).toMatchObject({ delivered: 1 });
    expect(rx.received.map((x) => x.id)).toEqual(ids);
  });

  it('prunes delivery-log rows older than 30 days', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    await emit(t.id, ['old.a', 'new.b']);
    await deliver([ep.id]);
    const db = await getDb();
    const [oldest] = (await listDeliveries({ tenantId: t.id }, ep.id, { limit: 5 })).data.slice(-1);
    await db.update(webhookDeliveries).set({ createdAt: sql`now() - interval '31 days'` }).where(eq(webhookDeliveries.id, oldest.id));
    expect(await pruneDeliveries(db)).toBeGreaterThanOrEqual(1);
    expect((await listDeliveries({ tenantId: t.id }, ep.id, { limit: 5 })).data.map((d) => d.eventType)).toEqual(['new.b']);
  });

  it('skips events removed (by retention) before they were delivered', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const ids = await emit(t.id, ['p.one', 'p.two', 'p.three']);
    const db = await getDb();
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local portal.audit_prune = 'on'`); // as retention pruning does
      await tx.delete(auditEvents).where(eq(auditEvents.id, ids[1]));
    });
    await deliver([ep.id]);
    expect(rx.received.map((x) => x.id)).toEqual([ids[0], ids[2]]);
  });

  it('a disabled endpoint receives nothing until enabled again, then catches up in order', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    await updateWebhook(ctx, { tenantId: t.id }, ep.id, { enabled: false });
    const ids = await emit(t.id, ['q.one', 'q.two']);
    expect((await deliver([ep.id])).endpoints).toBe(0);
    expect(rx.received).toHaveLength(0);
    await updateWebhook(ctx, { tenantId: t.id }, ep.id, { enabled: true });
    await deliver([ep.id]);
    // The two changes of the endpoint are audit events of the tenant too: disable, the two, enable.
    expect(rx.received.map((x) => x.type)).toEqual(['webhook.updated', 'q.one', 'q.two', 'webhook.updated']);
    expect(rx.received.slice(1, 3).map((x) => x.id)).toEqual(ids);
  });

  it('switches off an endpoint that has failed for about three days (webhook.disabled), and resumes where it stopped once enabled', async () => {
    const t = await tenant();
    const rx = await receiver();
    const port = rx.port;
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    await rx.stop();
    const ids = await emit(t.id, ['d.one', 'd.two']);
    // Two attempts before the limit: the next failure is still retried…
    const db = await getDb();
    await db.update(webhookEndpoints).set({ failures: DISABLE_AFTER_FAILURES - 2 }).where(eq(webhookEndpoints.id, ep.id));
    await deliver([ep.id]);
    expect(await endpointRow(ep.id)).toMatchObject({ enabled: true, failures: DISABLE_AFTER_FAILURES - 1 });
    await timePasses(ep.id);
    // …the one that reaches it switches the endpoint off.
    await deliver([ep.id]);
    expect(await endpointRow(ep.id)).toMatchObject({ enabled: false, failures: DISABLE_AFTER_FAILURES, nextAttemptAt: null });
    const [off] = await db.select().from(auditEvents).where(eq(auditEvents.targetId, ep.id)).orderBy(sql`${auditEvents.id} desc`).limit(1);
    expect(off).toMatchObject({ tenantId: t.id, action: 'webhook.disabled', outcome: 'failure', reason: 'failing', actorType: 'system' });
    expect(off.details).toMatchObject({ failures: DISABLE_AFTER_FAILURES });
    expect((await deliver([ep.id])).endpoints).toBe(0);

    // Enabled again with the receiver back: a fresh backoff, and everything since the last delivery, in order.
    rx.port = port;
    await rx.start();
    await updateWebhook(ctx, { tenantId: t.id }, ep.id, { enabled: true });
    expect(await endpointRow(ep.id)).toMatchObject({ enabled: true, failures: 0 });
    await deliver([ep.id]);
    expect(rx.received.map((x) => x.type)).toEqual(['d.one', 'd.two', 'webhook.disabled', 'webhook.updated']);
    expect(rx.received.slice(0, 2).map((x) => x.id)).toEqual(ids);
  });

  it('sends a test event and resends a delivery: signed, logged as manual, outside the ordered stream', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream' });
    const test = await sendTestEvent(ctx, { tenantId: t.id }, ep.id);
    expect(test).toMatchObject({ status: 'delivered', httpStatus: 200, manual: true, attempt: 1, eventType: 'webhook.test' });
    expect(rx.received).toHaveLength(1);
    expect(rx.received[0].body).toMatchObject({ id: test.eventId, type: 'webhook.test', tenantId: t.id, data: { target: { type: 'webhook', id: ep.id } } });
    expect(verifySignature(rx.received[0].headers['portal-signature'] as string, rx.received[0].raw, ep.secret)).toBe(true);

    const [id] = await emit(t.id, ['r.one']);
    await deliver([ep.id]);
    const log = (await listDeliveries({ tenantId: t.id }, ep.id, { limit: 10 })).data;
    const streamed = log.find((d) => d.eventId === id)!;
    const again = await resendDelivery(ctx, { tenantId: t.id }, ep.id, streamed.id);
    expect(again).toMatchObject({ eventId: id, status: 'delivered', manual: true, attempt: 2 });
    expect(rx.received.filter((x) => x.id === id)).toHaveLength(2);
    expect(rx.received.at(-1)!.raw).toBe(rx.received.at(-2)!.raw);
    const cursorBefore = (await getDb()).select().from(webhookCursors).where(eq(webhookCursors.endpointId, ep.id));
    expect((await cursorBefore).length).toBe(1);
    // The test delivery can be resent too (same id).
    const testAgain = await resendDelivery(ctx, { tenantId: t.id }, ep.id, test.id);
    expect(testAgain).toMatchObject({ eventId: test.eventId, eventType: 'webhook.test', manual: true, attempt: 2 });
    // A failing receiver: the test answers the failed delivery (it is not retried).
    rx.respond = () => 503;
    const failed = await sendTestEvent(ctx, { tenantId: t.id }, ep.id);
    expect(failed).toMatchObject({ status: 'failed', httpStatus: 503 });
    expect(failed.error).toMatch(/HTTP 503/);
    expect((await endpointRow(ep.id)).failures).toBe(0); // manual sends do not touch the stream's health
    // Another tenant's scope cannot resend it.
    const other = await tenant();
    await expect(resendDelivery(ctx, { tenantId: other.id }, ep.id, streamed.id)).rejects.toMatchObject({ status: 404 });
  });

  it('signs with the new secret after a rotation', async () => {
    const t = await tenant();
    const rx = await receiver();
    const ep = await createWebhook(ctx, { tenantId: t.id }, { url: rx.url, kind: 'audit_stream', events: ['s.*'] });
    const rotated = await rotateWebhookSecret(ctx, { tenantId: t.id }, ep.id);
    expect(rotated.secret).not.toBe(ep.secret);
    await emit(t.id, ['s.one']);
    await deliver([ep.id]);
    const x = rx.received[0];
    expect(verifySignature(x.headers['portal-signature'] as string, x.raw, rotated.secret)).toBe(true);
    expect(verifySignature(x.headers['portal-signature'] as string, x.raw, ep.secret)).toBe(false);
  });

  it('endpoints progress independently: a failing one does not hold back another', async () => {
    const t = await tenant();
    const [bad, good] = [await receiver(), await receiver()];
    bad.respond = () => 500;
    const epBad = await createWebhook(ctx, { tenantId: t.id }, { url: bad.url, kind: 'audit_stream' });
    const epGood = await createWebhook(ctx, { tenantId: t.id }, { url: good.url, kind: 'audit_stream', events: ['i.*'] });
    const ids = await emit(t.id, ['i.one', 'i.two']);
    const r = await deliver([epBad.id, epGood.id]);
    expect(r).toMatchObject({ endpoints: 2, failed: 1 });
    expect(bad.received).toHaveLength(1);
    expect(good.received.map((x) => x.id)).toEqual(ids);
  });
});

beforeAll(async () => {
  await getDb();
});
afterAll(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.stop()));
});
