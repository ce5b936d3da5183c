import { and, asc, desc, eq, gt, gte, isNotNull, lte, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { auditChains, auditEvents } from '../db/schema';
import { anchorAccountsFor, eventHash, GENESIS_HASH, PRUNED_ACTION, verifyChain, type ChainedContent, type VerifyResult } from './chain';
import { OPERATOR_CHAIN } from './record';
import { sequence } from './sequencer';

export type ChainVerification = VerifyResult & {
  /** Why the chain is broken (absent when intact). */
  reason?: string;
};

type ChainRow = ChainedContent & { prevHash: string; hash: string };

const chainColumns = {
  id: auditEvents.id,
  chainKey: auditEvents.chainKey,
  seq: auditEvents.seq,
  tenantId: auditEvents.tenantId,
  occurredAt: auditEvents.occurredAt,
  action: auditEvents.action,
  outcome: auditEvents.outcome,
  actorType: auditEvents.actorType,
  actorId: auditEvents.actorId,
  actorLabel: auditEvents.actorLabel,
  targetType: auditEvents.targetType,
  targetId: auditEvents.targetId,
  targetLabel: auditEvents.targetLabel,
  ip: auditEvents.ip,
  userAgent: auditEvents.userAgent,
  reason: auditEvents.reason,
  details: auditEvents.details,
  prevHash: auditEvents.prevHash,
  hash: auditEvents.hash,
};

function whyBroken(row: ChainRow, start: { seq: number; hash: string }, batch: ChainRow[]): string {
  const i = batch.findIndex((r) => r.id === row.id);
  const prev = i > 0 ? batch[i - 1] : { seq: start.seq, hash: start.hash };
  if (row.seq !== prev.seq + 1) {
    return row.seq > prev.seq + 1
      ? `events ${prev.seq + 1}–${row.seq - 1} of the chain are missing (before event seq ${row.seq})`
      : `event seq ${row.seq} is out of order`;
  }
  if (row.prevHash !== prev.hash) return `event seq ${row.seq} does not link to the event before it`;
  if (eventHash(prev.hash, row) !== row.hash) return `event seq ${row.seq} was altered after it was written`;
  return `event seq ${row.seq} does not verify`;
}

type Point = { seq: number; hash: string };
type Walk = { result: ChainVerification; end: Point; head: Point | null };

/**
 * Walks a chain from `start` (exclusive) up to the head read when the walk began, checking each
 * row against the one before. `checkedBefore` counts what was verified up to `start`.
 */
async function walk(chainKey: string, start: Point, checkedBefore: number, size: number): Promise<Walk> {
  const db = await getDb();
  const [headRow] = await db.select().from(auditChains).where(eq(auditChains.chainKey, chainKey));
  const head = headRow ? { seq: headRow.lastSeq, hash: headRow.lastHash } : null;
  // Without a head row nothing was ever appended through record(); any rows found are checked
  // all the same, then the missing head is reported.
  const lastSeq = head ? head.seq : Number.MAX_SAFE_INTEGER;
  let at = start;
  let checked = checkedBefore;
  for (;;) {
    const batch = (await db
      .select(chainColumns)
      .from(auditEvents)
      .where(and(eq(auditEvents.chainKey, chainKey), gt(auditEvents.seq, at.seq), lte(auditEvents.seq, lastSeq)))
      .orderBy(asc(auditEvents.seq))
      .limit(size)) as ChainRow[];
    if (!batch.length) break;
    const r = verifyChain(batch, at);
    if (!r.intact) {
      const row = batch.find((b) => b.id === r.firstBrokenId)!;
      return { result: { intact: false, checked: checked + r.checked, firstBrokenId: r.firstBrokenId, reason: whyBroken(row, at, batch) }, end: at, head };
    }
    checked += r.checked;
    const last = batch[batch.length - 1];
    at = { seq: last.seq, hash: last.hash };
    if (batch.length < size) break;
  }
  if (!head) {
    const result: ChainVerification =
      checked === 0
        ? { intact: true, checked: 0, firstBrokenId: null }
        : { intact: false, checked, firstBrokenId: null, reason: 'the chain head (audit_chains) is missing' };
    return { result, end: at, head };
  }
  if (at.seq !== head.seq || at.hash !== head.hash) {
    const reason =
      at.seq < head.seq
        ? `the newest events are missing: the chain ends at seq ${at.seq} but its head is at seq ${head.seq}`
        : `the chain head does not match its last event (seq ${at.seq})`;
    return { result: { intact: false, checked, firstBrokenId: null, reason }, end: at, head };
  }
  return { result: { intact: true, checked, firstBrokenId: null }, end: at, head };
}

type Start = { point: Point; firstSeq: number | null } | { broken: ChainVerification; firstSeq: number };

/**
 * Where verification starts: at the genesis when the chain's first event is seq 1 (or it has
 * none); after a pruned prefix when an `audit.pruned` event of the chain names exactly that prefix
 * and the hash its first retained event links to (that event is then checked with the rest of the
 * chain); otherwise the chain is broken at its first event: rows were deleted outside retention.
 */
async function retainedStart(chainKey: string): Promise<Start> {
  const db = await getDb();
  const [first] = (await db
    .select({ id: auditEvents.id, seq: auditEvents.seq, prevHash: auditEvents.prevHash })
    .from(auditEvents)
    .where(and(eq(auditEvents.chainKey, chainKey), isNotNull(auditEvents.seq)))
    .orderBy(asc(auditEvents.seq))
    .limit(1)) as { id: string; seq: number; prevHash: string }[];
  if (!first || first.seq <= 1) return { point: { seq: 0, hash: GENESIS_HASH }, firstSeq: first?.seq ?? null };
  const anchors = await db
    .select({ details: auditEvents.details })
    .from(auditEvents)
    .where(
      and(
        eq(auditEvents.chainKey, chainKey),
        eq(auditEvents.action, PRUNED_ACTION),
        gte(auditEvents.seq, first.seq),
        sql`${auditEvents.details}->>'throughSeq' = ${String(first.seq - 1)}`,
        sql`${auditEvents.details}->>'anchorHash' = ${first.prevHash}`,
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(1);
  if (anchors.some((a) => anchorAccountsFor(a.details, first))) return { point: { seq: first.seq - 1, hash: first.prevHash }, firstSeq: first.seq };
  return {
    firstSeq: first.seq,
    broken: {
      intact: false,
      checked: 1,
      firstBrokenId: first.id,
      reason: `events 1–${first.seq - 1} of the chain are missing and no audit.pruned event accounts for them (deleted outside retention)`,
    },
  };
}

/** The first seq left in a chain (null: none). */
async function firstSeqOf(chainKey: string): Promise<number | null> {
  const db = await getDb();
  const [r] = await db.select({ seq: auditEvents.seq }).from(auditEvents).where(and(eq(auditEvents.chainKey, chainKey), isNotNull(auditEvents.seq))).orderBy(asc(auditEvents.seq)).limit(1);
  return r?.seq ?? null;
}

/**
 * Verifies a chain from its retained start. A prune that runs meanwhile moves the start (the walk
 * then sees a gap at its beginning), so a broken result is checked again, a few times at most,
 * when the chain's first event changed during the walk.
 */
async function fullWalk(chainKey: string, size: number): Promise<Walk> {
  await sequence(await getDb(), chainKey); // link what was committed up to now, then check it
  for (let attempt = 0; ; attempt++) {
    const s = await retainedStart(chainKey);
    const w: Walk = 'broken' in s ? { result: s.broken, end: { seq: 0, hash: GENESIS_HASH }, head: null } : await walk(chainKey, s.point, 0, size);
    if (w.result.intact || attempt >= 2) return w;
    if ((await firstSeqOf(chainKey)) === s.firstSeq) return w;
  }
}

/**
 * Verifies one audit chain — a tenant's (key = tenant id) or the operator-wide one — from its
 * first retained event to the head recorded in audit_chains when the check began, reading
 * `batchSize` rows at a time in seq order (memory stays flat). Detects altered rows, relinked rows,
 * deleted rows (a gap in seq), deleted newest rows (the head points past the last row) and deleted
 * oldest rows that no `audit.pruned` event accounts for. Events appended while it runs are after
 * the head it read and are not checked. A chain with no events is intact with `checked: 0`.
 */
export async function verifyTenantChain(chainKey: string, opts: { batchSize?: number } = {}): Promise<ChainVerification> {
  return (await fullWalk(chainKey, opts.batchSize ?? 1000)).result;
}

type Cached = { fullAt: number; result: ChainVerification; end: Point; head: Point | null };
const g = globalThis as unknown as { __auditVerified?: Map<string, Cached>; __auditVerifying?: Map<string, Promise<ChainVerification>> };

/**
 * verifyTenantChain for pages that show a badge on every view: a chain is checked from its first
 * event at most every `fullEveryMs`; in between, only the events appended since the last check
 * are (so a large tenant's page does not re-hash a million events per view), and simultaneous
 * requests share one check. Per process only — nothing another instance needs. The API's
 * verify endpoint always checks everything.
 */
export async function verifyTenantChainCached(chainKey: string, opts: { fullEveryMs?: number } = {}): Promise<ChainVerification> {
  const verifying = (g.__auditVerifying ??= new Map());
  const pending = verifying.get(chainKey);
  if (pending) return pending;
  const cache = (g.__auditVerified ??= new Map());
  const p = (async () => {
    const c = cache.get(chainKey);
    const fresh = c && Date.now() - c.fullAt < (opts.fullEveryMs ?? 5 * 60_000);
    let next: Cached;
    if (fresh && !c.result.intact) return c.result;
    if (fresh) await sequence(await getDb(), chainKey);
    const incremental = fresh && c.result.intact && c.head ? await walk(chainKey, c.end, c.result.checked, 1000) : null;
    if (incremental && incremental.result.intact) {
      next = { ...incremental, fullAt: c!.fullAt };
    } else {
      // A break found by the incremental check is confirmed by a full one (a prune may have
      // moved the chain's start past where the last check ended).
      const w = await fullWalk(chainKey, 1000);
      next = { ...w, fullAt: Date.now() };
    }
    cache.delete(chainKey);
    cache.set(chainKey, next);
    if (cache.size > 1000) cache.delete(cache.keys().next().value!);
    return next.result;
  })().finally(() => verifying.delete(chainKey));
  verifying.set(chainKey, p);
  return p;
}

/** Every chain there is: one per tenant that ever had an event (deleted tenants too), and the operator chain. */
export async function listChainKeys(): Promise<string[]> {
  const db = await getDb();
  const rows = await db.execute<{ chain_key: string }>(sql`
    select chain_key from audit_chains
    union
    select distinct chain_key from audit_events
    order by 1`);
  const list = (rows as unknown as { rows: { chain_key: string }[] }).rows.map((r) => r.chain_key);
  return [...list.filter((k) => k !== OPERATOR_CHAIN), ...list.filter((k) => k === OPERATOR_CHAIN)];
}
