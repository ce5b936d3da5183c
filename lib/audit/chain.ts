import { createHash } from 'node:crypto';

/** The hash every chain starts from. */
export const GENESIS_HASH = '0'.repeat(64);

export type ChainedContent = {
  id: string;
  chainKey: string;
  seq: number;
  tenantId: string | null;
  occurredAt: Date;
  action: string;
  outcome: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  targetType: string | null;
  targetId: string | null;
  targetLabel: string | null;
  ip: string | null;
  userAgent: string | null;
  reason: string | null;
  details: unknown;
};

/** JSON with object keys sorted at every depth, so jsonb's key reordering cannot change a hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === 'object') {
    const keys = Object.keys(value as object)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** hash = SHA-256(prevHash ‖ canonical content). */
export function eventHash(prevHash: string, e: ChainedContent): string {
  const content = canonicalJson([
    e.id,
    e.chainKey,
    e.seq,
    e.tenantId,
    e.occurredAt.toISOString(),
    e.action,
    e.outcome,
    e.actorType,
    e.actorId,
    e.actorLabel,
    e.targetType,
    e.targetId,
    e.targetLabel,
    e.ip,
    e.userAgent,
    e.reason,
    e.details ?? null,
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/** An event the sequencer linked into its chain (seq and hashes set). */
export type LinkedEvent = ChainedContent & { prevHash: string; hash: string };

export type VerifyResult = { intact: boolean; checked: number; firstBrokenId: string | null };

/**
 * Checks a chain's rows, given in ascending `seq`, starting after `startHash` at `startSeq`.
 * A row whose hash does not match, whose prevHash is not its predecessor's hash, or whose seq
 * skips (a deleted row) breaks the chain there.
 */
export function verifyChain(
  rows: Iterable<ChainedContent & { prevHash: string; hash: string }>,
  start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): VerifyResult {
  let prev = start.hash;
  let expectedSeq = start.seq + 1;
  let checked = 0;
  for (const row of rows) {
    checked++;
    if (row.seq !== expectedSeq || row.prevHash !== prev || eventHash(prev, row) !== row.hash) {
      return { intact: false, checked, firstBrokenId: row.id };
    }
    prev = row.hash;
    expectedSeq++;
  }
  return { intact: true, checked, firstBrokenId: null };
}

/** The event the retention job writes when it deletes the oldest part of a chain (retention.ts). */
export const PRUNED_ACTION = 'audit.pruned';

/** What `audit.pruned` says: events up to `throughSeq` were deleted; the last of them hashed to `anchorHash`. */
export type PruneAnchor = { throughSeq: number; anchorHash: string; count?: number; cutoff?: string };

/**
 * Does an `audit.pruned` event's details account for a chain whose first retained event is
 * `first`? Only when it names exactly the events before it (`throughSeq = first.seq − 1`) and the
 * hash `first` links to (`anchorHash = first.prevHash`).
 */
export function anchorAccountsFor(details: unknown, first: { seq: number; prevHash: string }): boolean {
  if (!details || typeof details !== 'object') return false;
  const d = details as Partial<PruneAnchor>;
  return typeof d.throughSeq === 'number' && d.throughSeq === first.seq - 1 && typeof d.anchorHash === 'string' && d.anchorHash === first.prevHash;
}
