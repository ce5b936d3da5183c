import { describe, expect, it } from 'vitest';
import { REVIEW_CSV_COLUMNS, reviewCsvHeader, reviewCsvLine } from './csv';
import type { ReviewItem } from './validation';

const item = (over: Partial<ReviewItem> = {}): ReviewItem => ({
  id: 'usr_1',
  tenantId: 'tnt_1',
  email: 'kim@example.com',
  firstName: 'Kim',
  lastName: 'Lee',
  roles: ['admin', 'member'],
  groups: ['Engineering'],
  status: 'active',
  source: 'jit',
  lastLoginAt: '2026-03-01T10:00:00.000Z',
  createdAt: '2026-01-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  daysInactive: 30,
  ...over,
});

/** Splits one CSV record (RFC 4180) into its cells. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  const s = line.replace(/\r\n$/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

describe('access review CSV', () => {
  it('has a header and one CRLF-terminated line per user, in column order', () => {
    expect(reviewCsvHeader()).toBe(`${REVIEW_CSV_COLUMNS.join(',')}\r\n`);
    expect(reviewCsvLine(item())).toBe(
      'usr_1,kim@example.com,Kim,Lee,"admin;member",Engineering,jit,active,2026-03-01T10:00:00.000Z,2026-01-01T10:00:00.000Z,30\r\n',
    );
    expect(reviewCsvLine(item({ lastLoginAt: null, firstName: null, roles: [] }))).toBe(
      'usr_1,kim@example.com,,Lee,,Engineering,jit,active,,2026-01-01T10:00:00.000Z,30\r\n',
    );
  });

  it('quotes commas, quotes and line breaks', () => {
    const line = reviewCsvLine(item({ firstName: 'Kim, "K"', lastName: 'Lee\r\nSmith', groups: ['A,B', 'C'] }));
    expect(line).toContain('"Kim, ""K"""');
    expect(line).toContain('"Lee\r\nSmith"');
    expect(line).toContain('"A,B;C"');
  });

  it.each(['=HYPERLINK("http://evil.example","x")', '+1+2', '-2+3', '@SUM(A1)', '\t=1', '\r=1'])(
    'neutralises a formula-looking value %j (CSV injection)',
    (evil) => {
      const line = reviewCsvLine(item({ firstName: evil, lastName: evil, groups: [evil] }));
      const c = cells(line);
      for (const i of [2, 3, 5]) {
        expect(c[i].startsWith("'")).toBe(true);
        // Only apostrophes added (after a tab or line end inside too: a spreadsheet may split there).
        expect(c[i].replace(/'/g, '')).toBe(evil);
      }
    },
  );

  it('leaves harmless values alone (an email with a hyphen inside, a negative-looking id is not possible)', () => {
    const c = cells(reviewCsvLine(item({ email: 'a-b@example.com', lastName: "O'Brien" })));
    expect(c[1]).toBe('a-b@example.com');
    expect(c[3]).toBe("O'Brien");
  });
});
