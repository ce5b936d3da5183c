import type { SQL } from 'drizzle-orm';
import type { Executor } from './client';

/**
 * The most rows one statement touches in work whose size an outsider decides (a tenant's or a
 * directory's users deleted, suspended, their events written): each statement stays well within
 * the statement timeout (10 s on PostgreSQL) however large the whole.
 */
export const PAGE_ROWS = 5_000;

/** `values` in pages of at most `size`. */
export function pagesOf<T>(values: readonly T[], size = PAGE_ROWS): T[][] {
  const pages: T[][] = [];
  for (let i = 0; i < values.length; i += size) pages.push(values.slice(i, i + size));
  return pages;
}

/**
 * Runs `page` until nothing is left: one statement that works on up to PAGE_ROWS rows whose keys
 * come after `after` (in key order) and answers the last of them as `last` (null when there was none).
 */
export async function inPages(tx: Executor, page: (after: string) => SQL): Promise<void> {
  for (let after = ''; ; ) {
    const [r] = ((await tx.execute(page(after))) as unknown as { rows: { last: string | null }[] }).rows;
    if (!r?.last) return;
    after = r.last;
  }
}
