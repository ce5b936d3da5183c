import { csvCell } from '../audit/export';
import type { ReviewItem } from './validation';

/** The access review as CSV (RFC 4180, CRLF); every cell goes through csvCell (formula injection). */
export const REVIEW_CSV_COLUMNS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'roles',
  'groups',
  'source',
  'status',
  'last_sign_in_at',
  'created_at',
  'days_inactive',
] as const;

export const reviewCsvHeader = () => `${REVIEW_CSV_COLUMNS.join(',')}\r\n`;

export function reviewCsvLine(u: ReviewItem): string {
  return (
    [
      u.id,
      u.email,
      u.firstName,
      u.lastName,
      u.roles.join(';'),
      u.groups.join(';'),
      u.source,
      u.status,
      u.lastLoginAt,
      u.createdAt,
      String(u.daysInactive),
    ]
      .map(csvCell)
      .join(',') + '\r\n'
  );
}
