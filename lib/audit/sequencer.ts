import { sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { log } from '../log';
import { eventHash, GENESIS_HASH, type ChainedContent } from './chain';

/**
 * Links new audit events into their chain. `record()` only inserts an event (no lock, so
 * concurrent sign-ins and SCIM requests of one tenant never wait for each other); the sequencer
 * then gives each chain's unlinked events, in id order (ids are time-ordered), their `seq`,
 * `prev_hash` and `hash`, under the chain head's row lock — so several instances sequencing at
 * once still build one unforked chain. The database trigger lets a row be linked exactly once and
 * changes nothing else. Readers that need the chain (verify, retention, webhook delivery) call
 * `sequence()` first; a timer keeps the lag to about a second otherwise.
 */

type Row = Omit<ChainedContent, 'seq'> & { occurredAt: Date };
const rowsOf = <T>(r: unknown) => (r as { rows: T[] }).rows;
const BATCH = 2_000;

/** Links the pending events of one chain (all of them, in batches). Answers how many it linked. */
export async function sequenceChain(db: Db, chainKey: string): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const head = rowsOf<{ last_seq: string | number; last_hash: string }>(
        await tx.execute(sql`
          insert into audit_chains (chain_key, last_seq, last_hash) values (${chainKey}, 0, ${GENESIS_HASH})
          on conflict (chain_key) do update set chain_key = excluded.chain_key
          returning last_seq, last_hash`),
      )[0];
      const pending = rowsOf<Record<string, unknown>>(
        await tx.execute(sql`
          select id, chain_key, tenant_id, occurred_at, action, outcome, actor_type, actor_id, actor_label,
                 target_type, target_id, target_label, ip, user_agent, reason, details
          from audit_events where chain_key = ${chainKey} and hash is null
          order by id limit ${BATCH}`),
      );
      if (!pending.length) return 0;
      let seq = Number(head.last_seq);
      let prev = head.last_hash;
      const links = pending.map((p) => {
        const row: Row = {
          id: p.id as string,
          chainKey,
          tenantId: (p.tenant_id as string | null) ?? null,
          occurredAt: p.occurred_at instanceof Date ? p.occurred_at : new Date(p.occurred_at as string),
          action: p.action as string,
          outcome: p.outcome as string,
          actorType: p.actor_type as string,
          actorId: (p.actor_id as string | null) ?? null,
          actorLabel: (p.actor_label as string | null) ?? null,
          targetType: (p.target_type as string | null) ?? null,
          targetId: (p.target_id as string | null) ?? null,
          targetLabel: (p.target_label as string | null) ?? null,
          ip: (p.ip as string | null) ?? null,
          userAgent: (p.user_agent as string | null) ?? null,
          reason: (p.reason as string | null) ?? null,
          details: typeof p.details === 'string' ? JSON.parse(p.details) : (p.details ?? null),
        };
        const prevHash = prev;
        prev = eventHash(prevHash, { ...row, seq: ++seq });
        return sql`(${row.id}, ${seq}::bigint, ${prevHash}, ${prev})`;
      });
      await tx.execute(sql`
        update audit_events as e set seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
        from (values ${sql.join(links, sql`, `)}) as v(id, seq, prev_hash, hash)
        where e.id = v.id and e.hash is null`);
      await tx.execute(sql`update audit_chains set last_seq = ${seq}, last_hash = ${prev} where chain_key = ${chainKey}`);
      return pending.length;
    });
    total += n;
    if (n < BATCH) return total;
  }
}

/** Links every chain's pending events (or only `chainKey`'s). */
export async function sequence(db: Db, chainKey?: string): Promise<number> {
  if (chainKey) return sequenceChain(db, chainKey);
  const keys = rowsOf<{ chain_key: string }>(await db.execute(sql`select distinct chain_key from audit_events where hash is null`));
  let total = 0;
  for (const k of keys) total += await sequenceChain(db, k.chain_key);
  return total;
}

type SequencerState = { timer: NodeJS.Timeout; running: Promise<void> | null };
const g = globalThis as unknown as { __auditSequencer?: SequencerState };

/** Runs the sequencer about every `everyMs` in this process (started with the scheduler). */
export function startSequencer(getDb: () => Promise<Db>, everyMs = 1_000): void {
  if (g.__auditSequencer) return;
  const state: SequencerState = { timer: setInterval(() => void run(), everyMs), running: null };
  state.timer.unref();
  g.__auditSequencer = state;
  const run = async (): Promise<void> => {
    if (state.running) return state.running;
    state.running = (async () => {
      try {
        await sequence(await getDb());
      } catch (err) {
        log('warn', 'audit sequencer run failed; the next run retries', { err });
      } finally {
        state.running = null;
      }
    })();
    return state.running;
  };
}

/** Stops the periodic runs and waits for one in progress (graceful shutdown). */
export async function stopSequencer(): Promise<void> {
  const state = g.__auditSequencer;
  if (!state) return;
  clearInterval(state.timer);
  g.__auditSequencer = undefined;
  await state.running;
}
