import { badRequest } from '../errors';

/**
 * Keyset cursors of the time-ordered lists (the audit log, the access review): opaque base64url
 * of [timestamp with up to microseconds, id]. A cursor is outside input like any other: it is a
 * real instant (PostgreSQL would refuse 2025-13-45 or year 0 with a 500) and a printable id.
 */
export type Position = { ts: string; id: string };

const TS = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,6}Z$/;
const ID = /^[\x21-\x7e]{1,64}$/;

export const encodePosition = (p: Position): string => Buffer.from(JSON.stringify([p.ts, p.id]), 'utf8').toString('base64url');

function isInstant(ts: string): boolean {
  const m = TS.exec(ts);
  if (!m || Number(m[1]) < 1) return false;
  const d = new Date(ts);
  // JavaScript rolls 02-30 over to 03-02; the round trip keeps only dates that exist.
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 19) === ts.slice(0, 19);
}

export function decodePosition(cursor: string): Position {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isInstant(v[0]) && typeof v[1] === 'string' && ID.test(v[1])) {
      return { ts: v[0], id: v[1] };
    }
  } catch {
    /* below */
  }
  throw badRequest('Invalid query parameters: cursor: not a cursor returned by this list', [{ path: 'cursor', message: 'not a cursor returned by this list' }]);
}
