import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, GENESIS_HASH, verifyChain, type ChainedContent } from './chain';

function chain(n: number) {
  const rows: (ChainedContent & { prevHash: string; hash: string })[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e: ChainedContent = {
      id: `evt_${i}`, chainKey: 'tnt_1', seq: i, tenantId: 'tnt_1', occurredAt: new Date(1_700_000_000_000 + i),
      action: 'tenant.updated', outcome: 'success', actorType: 'operator', actorId: 'op_1', actorLabel: 'op',
      targetType: 'tenant', targetId: 'tnt_1', targetLabel: 'Acme', ip: null, userAgent: null, reason: null,
      details: { after: { name: `n${i}` }, before: { name: `n${i - 1}` } },
    };
    const hash = eventHash(prev, e);
    rows.push({ ...e, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe('audit chain', () => {
  it('canonical JSON ignores key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });
  it('verifies an intact chain', () => {
    expect(verifyChain(chain(5))).toEqual({ intact: true, checked: 5, firstBrokenId: null });
  });
  it('finds a changed event', () => {
    const rows = chain(5);
    rows[2] = { ...rows[2], actorLabel: 'someone else' };
    expect(verifyChain(rows)).toMatchObject({ intact: false, firstBrokenId: 'evt_3' });
  });
  it('finds a deleted event', () => {
    const rows = chain(5);
    rows.splice(1, 1);
    expect(verifyChain(rows)).toMatchObject({ intact: false, firstBrokenId: 'evt_3' });
  });
  it('finds a re-hashed event (its successor no longer links)', () => {
    const rows = chain(4);
    const forged = { ...rows[1], reason: 'forged' };
    rows[1] = { ...forged, hash: eventHash(forged.prevHash, forged) };
    expect(verifyChain(rows)).toMatchObject({ intact: false, firstBrokenId: 'evt_3' });
  });
});

describe('audit.pruned anchors', () => {
  it('accounts for a pruned prefix only when seq and hash both match', async () => {
    const { anchorAccountsFor } = await import('./chain');
    const first = { seq: 101, prevHash: 'a'.repeat(64) };
    expect(anchorAccountsFor({ throughSeq: 100, anchorHash: 'a'.repeat(64), count: 100 }, first)).toBe(true);
    expect(anchorAccountsFor({ throughSeq: 99, anchorHash: 'a'.repeat(64) }, first)).toBe(false);
    expect(anchorAccountsFor({ throughSeq: 100, anchorHash: 'b'.repeat(64) }, first)).toBe(false);
    expect(anchorAccountsFor({ throughSeq: '100', anchorHash: 'a'.repeat(64) }, first)).toBe(false);
    expect(anchorAccountsFor({ anchorHash: 'a'.repeat(64) }, first)).toBe(false);
    expect(anchorAccountsFor(null, first)).toBe(false);
  });

  it('a chain verified from after a pruned prefix starts at the anchor', () => {
    const rows = chain(6);
    const rest = rows.slice(3);
    expect(verifyChain(rest, { seq: 3, hash: rows[2].hash })).toEqual({ intact: true, checked: 3, firstBrokenId: null });
    expect(verifyChain(rest, { seq: 3, hash: rows[1].hash })).toMatchObject({ intact: false, firstBrokenId: rest[0].id });
  });
});
