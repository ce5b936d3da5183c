import { record } from '../audit/record';
import { sequence } from '../audit/sequencer';
import { SYSTEM } from '../audit/types';
import { webhookTarget } from '../dal/webhooks';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditEvents, webhookEndpoints, type WebhookEndpoint } from '../db/schema';
import type { Job } from '../jobs/scheduler';
import { log } from '../log';
import { backoffMs, DISABLE_AFTER_FAILURES, matchesEvent } from './filter';
import { buildPayload } from './payload';
import { decryptSecret } from './secret';
import { logDelivery, sendEvent, type SendResult } from './send';

/**
 * The delivery worker. The audit log is the outbox: every endpoint keeps a cursor per audit chain
 * (`webhook_cursors.seq`) and walks the chain by `seq > cursor`, in order. Appends to one chain
 * commit in seq order (the chain head's row lock), so an event committing later always has a
 * higher seq than anything already read: nothing is skipped.
 *
 * Per endpoint, per run: claim it (an atomic update of `next_attempt_at`, so two workers never
 * work on one endpoint at once), then for each of its chains read events after the cursor; events
 * its filter does not match only move the cursor; a matching event is POSTed, and on a 2xx the
 * cursor moves past it in the same transaction as its delivery-log row. Anything else logs a
 * failed attempt, schedules a retry with exponential backoff and stops this endpoint for the run
 * (head-of-line: an endpoint receives its events in order, at least once; receivers dedupe by
 * event id). Endpoints progress independently and concurrently.
 */

export type WorkerOptions = {
  /** Deliveries per endpoint per run. */
  maxDeliveries?: number;
  /** Events read (delivered or filtered out) per endpoint per run. */
  maxEvents?: number;
  /** Time per endpoint per run; the rest waits for the next run. */
  maxMsPerEndpoint?: number;
  /** No new endpoint is started after this long. */
  maxRunMs?: number;
  concurrency?: number;
  /**
   * How long a claim keeps other workers off an endpoint; each delivery renews it (so it must
   * outlast one send, `timeoutMs`), and a crashed worker's endpoint is taken over after it.
   */
  claimMs?: number;
  timeoutMs?: number;
  /** Only these endpoints (tests that share a database with others). */
  endpointIds?: string[];
};

const DEFAULTS: Required<WorkerOptions> = {
  maxDeliveries: 500,
  maxEvents: 5000,
  maxMsPerEndpoint: 10_000,
  maxRunMs: 60_000,
  concurrency: 8,
  claimMs: 15_000,
  timeoutMs: 10_000,
  endpointIds: [],
};

/** Events read from one chain before the next chain's turn. */
const PAGE = 100;

type Rows<T> = { rows: T[] };
const rowsOf = <T>(r: unknown) => (r as Rows<T>).rows;

/** Enabled endpoints whose retry time has come and that have events after one of their cursors. */
async function dueEndpoints(db: Db, limit: number, only: string[]): Promise<string[]> {
  const res = await db.execute(sql`
    select e.id from webhook_endpoints e
    where e.enabled and (e.next_attempt_at is null or e.next_attempt_at <= now())
      ${only.length ? sql`and e.id in (${sql.join(only.map((id) => sql`${id}`), sql`, `)})` : sql``}
      and exists (
        select 1 from audit_chains c
        left join webhook_cursors k on k.endpoint_id = e.id and k.chain_key = c.chain_key
        where (e.tenant_id is null or c.chain_key = e.tenant_id) and c.last_seq > coalesce(k.seq, 0))
    order by e.next_attempt_at nulls first, e.id
    limit ${limit}`);
  return rowsOf<{ id: string }>(res).map((r) => r.id);
}

/** Takes an endpoint for this worker, or null when another has it (or it is no longer due). */
async function claim(db: Db, id: string, claimMs: number): Promise<WebhookEndpoint | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ nextAttemptAt: sql`now() + ${`${claimMs} milliseconds`}::interval` })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.enabled, true), sql`(${webhookEndpoints.nextAttemptAt} is null or ${webhookEndpoints.nextAttemptAt} <= now())`))
    .returning();
  return row ?? null;
}

/** The chains an endpoint reads, with its cursor in each (0 for a chain that appeared after it was made). */
async function chainsOf(db: Db, ep: WebhookEndpoint): Promise<{ chainKey: string; seq: number }[]> {
  const res = await db.execute(sql`
    select c.chain_key, coalesce(k.seq, 0) as seq from audit_chains c
    left join webhook_cursors k on k.endpoint_id = ${ep.id} and k.chain_key = c.chain_key
    where ${ep.tenantId === null ? sql`true` : sql`c.chain_key = ${ep.tenantId}`} and c.last_seq > coalesce(k.seq, 0)
    order by c.chain_key`);
  return rowsOf<{ chain_key: string; seq: string | number }>(res).map((r) => ({ chainKey: r.chain_key, seq: Number(r.seq) }));
}

/** Moves a cursor forward (never back: a late writer cannot undo a newer position). */
function advance(endpointId: string, chainKey: string, seq: number) {
  return sql`
    insert into webhook_cursors (endpoint_id, chain_key, seq) values (${endpointId}, ${chainKey}, ${seq})
    on conflict (endpoint_id, chain_key) do update set seq = greatest(webhook_cursors.seq, excluded.seq)`;
}

export type EndpointRun = { delivered: number; skipped: number; failed: boolean };

/** Delivers what is due to one claimed endpoint; releases the claim (or sets the retry time). */
async function runEndpoint(db: Db, ep: WebhookEndpoint, o: Required<WorkerOptions>): Promise<EndpointRun> {
  const out: EndpointRun = { delivered: 0, skipped: 0, failed: false };
  const started = Date.now();
  let secret: string;
  try {
    secret = decryptSecret(ep.secretEncrypted);
  } catch {
    const error = 'the signing secret cannot be read (AUTH_SECRET changed?); rotate the secret';
    await db.update(webhookEndpoints).set({ lastError: error, nextAttemptAt: sql`now() + interval '1 hour'` }).where(eq(webhookEndpoints.id, ep.id));
    return { ...out, failed: true };
  }
  let failures = ep.failures;
  let read = 0;
  try {
    // The chains in turn, a page of events each, until the budgets run out: a flood on one chain
    // (anonymous sign-in failures on the operator's) does not hold back the others.
    const chains = (await chainsOf(db, ep)).map((c) => ({ ...c, cursor: c.seq, persisted: c.seq, done: false }));
    outer: while (chains.some((c) => !c.done)) {
      for (const chain of chains) {
        if (chain.done) continue;
        try {
          const events = await db
            .select()
            .from(auditEvents)
            .where(and(eq(auditEvents.chainKey, chain.chainKey), gt(auditEvents.seq, chain.cursor)))
            .orderBy(asc(auditEvents.seq))
            .limit(PAGE);
          if (events.length < PAGE) chain.done = true;
          for (const ev of events) {
            if (read >= o.maxEvents || out.delivered >= o.maxDeliveries || Date.now() - started > o.maxMsPerEndpoint) break outer;
            read++;
            if (!matchesEvent(ep.events, ev.action)) {
              chain.cursor = ev.seq!;
              out.skipped++;
              continue;
            }
            const attempt = failures + 1;
            const result: SendResult = await sendEvent(ep.url, secret, await buildPayload(ep.kind, ev), { timeoutMs: o.timeoutMs, attempt });
            if (result.ok) {
              await db.transaction(async (tx) => {
                await tx.execute(advance(ep.id, chain.chainKey, ev.seq!));
                await logDelivery(tx, { endpointId: ep.id, eventId: ev.id, action: ev.action, attempt, result, manual: false });
                await tx
                  .update(webhookEndpoints)
                  .set({ failures: 0, lastError: null, lastDeliveredAt: new Date(), nextAttemptAt: sql`now() + ${`${o.claimMs} milliseconds`}::interval` })
                  .where(eq(webhookEndpoints.id, ep.id));
              });
              chain.cursor = chain.persisted = ev.seq!;
              failures = 0;
              out.delivered++;
            } else {
              const delay = backoffMs(attempt);
              const giveUp = attempt >= DISABLE_AFTER_FAILURES;
              await db.transaction(async (tx) => {
                if (chain.cursor > chain.persisted) await tx.execute(advance(ep.id, chain.chainKey, chain.cursor));
                await logDelivery(tx, { endpointId: ep.id, eventId: ev.id, action: ev.action, attempt, result, manual: false });
                await tx
                  .update(webhookEndpoints)
                  .set({
                    failures: attempt,
                    lastError: result.error,
                    ...(giveUp ? { enabled: false, nextAttemptAt: null } : { nextAttemptAt: sql`now() + ${`${delay} milliseconds`}::interval` }),
                  })
                  .where(eq(webhookEndpoints.id, ep.id));
                if (giveUp) {
                  await record(tx, SYSTEM, {
                    tenantId: ep.tenantId,
                    action: 'webhook.disabled',
                    outcome: 'failure',
                    target: webhookTarget(ep),
                    reason: 'failing',
                    details: { failures: attempt, lastError: result.error, note: 'switched off after about three days of failed deliveries; enable it again to resume where it stopped' },
                  });
                }
              });
              chain.persisted = chain.cursor;
              out.failed = true;
              break outer;
            }
          }
        } finally {
          // Events filtered out after the last delivery: move past them too.
          if (chain.cursor > chain.persisted) {
            await db.execute(advance(ep.id, chain.chainKey, chain.cursor));
            chain.persisted = chain.cursor;
          }
        }
      }
    }
  } finally {
    if (!out.failed) {
      await db
        .update(webhookEndpoints)
        .set({ nextAttemptAt: null })
        .where(and(eq(webhookEndpoints.id, ep.id), sql`${webhookEndpoints.nextAttemptAt} > now()`, eq(webhookEndpoints.failures, failures)));
    }
  }
  return out;
}

/**
 * One run of the worker: every due endpoint, several at once, each bounded. Safe to run
 * concurrently with itself (claims) and again at any time.
 */
export async function deliverDue(db: Db, opts: WorkerOptions = {}): Promise<{ endpoints: number; delivered: number; skipped: number; failed: number }> {
  const o = { ...DEFAULTS, ...opts };
  const started = Date.now();
  await sequence(db); // events committed up to now get their seq (the cursors walk by seq)
  const ids = await dueEndpoints(db, 500, o.endpointIds);
  const totals = { endpoints: 0, delivered: 0, skipped: 0, failed: 0 };
  let next = 0;
  const lane = async () => {
    while (next < ids.length && Date.now() - started < o.maxRunMs) {
      const id = ids[next++];
      const ep = await claim(db, id, o.claimMs);
      if (!ep) continue;
      try {
        const r = await runEndpoint(db, ep, o);
        totals.endpoints++;
        totals.delivered += r.delivered;
        totals.skipped += r.skipped;
        if (r.failed) totals.failed++;
      } catch (err) {
        // A database error: retry this endpoint shortly rather than when the claim would expire.
        log('error', 'webhook endpoint run failed', { endpointId: ep.id, err });
        await db
          .update(webhookEndpoints)
          .set({ nextAttemptAt: sql`now() + interval '5 seconds'` })
          .where(eq(webhookEndpoints.id, ep.id))
          .catch(() => {});
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, ids.length) }, lane));
  return totals;
}

/** How long the delivery log keeps an attempt. */
export const DELIVERY_LOG_DAYS = 30;

/** Removes delivery-log rows older than DELIVERY_LOG_DAYS, a bounded batch at a time. */
export async function pruneDeliveries(db: Db, batch = 5000): Promise<number> {
  const res = await db.execute(sql`
    delete from webhook_deliveries where id in (
      select id from webhook_deliveries where created_at < now() - ${`${DELIVERY_LOG_DAYS} days`}::interval limit ${batch})
    returning id`);
  return rowsOf(res).length;
}

let lastPrune = 0;

/** The scheduler's job (lib/jobs/index.ts): deliveries every ~2 s, the delivery log pruned every 10 minutes. */
export const webhooksJob: Job = {
  name: 'webhooks',
  everyMs: 2000,
  run: async (db) => {
    const r: Record<string, number> = await deliverDue(db);
    if (Date.now() - lastPrune > 10 * 60_000) {
      lastPrune = Date.now();
      const pruned = await pruneDeliveries(db);
      if (pruned) r.pruned = pruned;
    }
    return r.endpoints || r.pruned ? r : undefined;
  },
};
