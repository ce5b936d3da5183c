/**
 * One page of a list queried with `limit + 1` rows: the first `limit` of them, and the cursor of
 * the next page (the id of this page's last row) when the extra row shows that more follow.
 */
export function pageOf<T>(rows: T[], limit: number, idOf: (row: T) => string = (r) => (r as { id: string }).id): { page: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? idOf(page.at(-1)!) : null };
}
