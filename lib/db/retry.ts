import { pgError } from '../errors';
import type { Db, Tx } from './client';

/** PostgreSQL's transient conflicts: a serialization failure, a deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * A transaction, tried again (up to three times in all) while it fails on a transient conflict:
 * two transactions that lock the same rows in different orders deadlock, and PostgreSQL aborts one
 * of them, which then runs again from the start.
 */
export async function transactionRetried<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      const code = pgError(err)?.code;
      if (!code || !RETRYABLE.has(code) || attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 10 * attempt + Math.random() * 20));
    }
  }
}
