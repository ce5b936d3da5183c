import { describe, expect, it } from 'vitest';
import { csvCell } from '../audit/export';
import { auditListQuerySchema, parseIsoInstant } from './audit';

describe('audit query parsing', () => {
  it.each([
    ['2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['2024-03-01T10:20', '2024-03-01T10:20:00.000Z'],
    ['2024-03-01T10:20:30Z', '2024-03-01T10:20:30.000Z'],
    ['2024-03-01T10:20:30.123456Z', '2024-03-01T10:20:30.123Z'],
    ['2024-03-01T10:20:30+02:00', '2024-03-01T08:20:30.000Z'],
    ['2024-03-01 10:20:30-0130', '2024-03-01T11:50:30.000Z'],
    ['2024-03-01T10:20:30 02:00', '2024-03-01T08:20:30.000Z'], // "+02:00" unencoded in a URL
  ])('reads %s', (s, iso) => expect(parseIsoInstant(s)?.toISOString()).toBe(iso));

  it.each(['yesterday', '2024-02-30', '2024-13-01', '1700000000', '2024-03-01T25:00Z', '', '2024-3-1'])('refuses %j', (s) =>
    expect(parseIsoInstant(s)).toBeNull(),
  );

  it('trims text filters and drops empty ones (as an empty form field sends them)', () => {
    const q = auditListQuerySchema.parse({ action: ' sso.* ', q: '', actorId: '  ', outcome: undefined });
    expect(q).toEqual({ action: 'sso.*', limit: 50 });
  });
});

describe('csvCell', () => {
  it.each([
    [null, ''],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['cr\rlf', '"cr\rlf"'],
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@cmd', "'@cmd"],
    ['\tx', "'\tx"],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['a=b', 'a=b'],
    // Spreadsheets set to a semicolon list separator (many European locales) split inside the
    // quotes (a quote counts only at a field's start), and a line break there starts a new row:
    // what follows is neutralised as well.
    ['x;=1+1', `"x;'=1+1"`],
    ['Mozilla/5.0;=cmd|\'/c calc\'!A0;', `"Mozilla/5.0;'=cmd|'/c calc'!A0;"`],
    ['Bob\n=1+1;', `"Bob\n'=1+1;"`],
    ['a;  +1', `"a;  '+1"`],
    ['tab\t@x', `tab\t'@x`],
    ['-1;-2', `"'-1;'-2"`],
    ['a;b', '"a;b"'],
    // Some spreadsheets skip leading spaces (and no-break spaces) before a formula.
    [' =1+1', "' =1+1"],
    ['\u00a0=1+1', "'\u00a0=1+1"],
    ['a;\u00a0=1', `"a;\u00a0'=1"`],
    [' plain', ' plain'],
  ])('%j → %j', (v, out) => expect(csvCell(v)).toBe(out));

  it.each(['Ada;=HYPERLINK(A1);', 'x\r\n=1+1', 'x\r@SUM(A1)', 'a;\t=1', ';;=1', 'a; ; -2'])(
    'a spreadsheet splitting on ; tab or line ends finds no formula in %j',
    (v) => {
      for (const piece of csvCell(v).split(/[;\t\r\n]/)) expect(piece.trimStart()).not.toMatch(/^[=+\-@]/);
    },
  );
});
