import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/**
 * `column = any($1::text[])`: a list of any length as ONE parameter. drizzle's `inArray` sends a
 * parameter per value, and a statement of more than 65,535 is refused (a SCIM group of 70,000
 * members); use this wherever an outsider decides the length.
 */
export function inList(column: SQLWrapper, values: readonly string[]): SQL {
  return sql`${column} = any(${textArray(values)}::text[])`;
}

/** A PostgreSQL `text[]` literal of `values` (each quoted, so commas, braces and quotes stay inside). */
export function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
