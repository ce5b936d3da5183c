import { describe, expect, it } from 'vitest';
import {
  checkPattern,
  compilePattern,
  fullMatch,
  MAX_MATCH_INPUT_LENGTH,
  MAX_PATTERN_COST,
  MAX_PATTERN_LENGTH,
} from './safe-regex';

const N = MAX_MATCH_INPUT_LENGTH;

/** Inputs of length n that make naive patterns backtrack: long runs that almost match, then fail at the end. */
const ADVERSARIAL: Array<(n: number) => string> = [
  (n) => 'a'.repeat(n),
  (n) => 'a'.repeat(n - 1) + '!',
  (n) => 'ab'.repeat(n / 2),
  (n) => 'ab'.repeat(n / 2 - 1) + '!!',
  (n) => 'x'.repeat(n),
  (n) => '-'.repeat(n - 1) + 'a',
  (n) => 'a@'.repeat(n / 2),
  (n) => 'CN=' + 'a,'.repeat(n / 2 - 2) + '!',
];
/** Growing lengths, so that a pattern that does blow up is caught while still short instead of hanging the test. */
const LENGTHS = [8, 12, 16, 20, 24, 28, 32, 64, 256, N];
/**
 * Far above what an accepted pattern takes on 1 KiB (well under a millisecond) and far below what
 * an exponential one takes already at 28–32 characters (seconds to years): a behavioural bound,
 * not a speed target, so a loaded CI machine cannot fail it.
 */
const LIMIT_MS = 500;

/** Worst time of one full match against the adversarial inputs, in ms; stops early once over LIMIT_MS. */
function worstMs(re: RegExp): number {
  let worst = 0;
  for (const n of LENGTHS) {
    for (const make of ADVERSARIAL) {
      const value = make(n);
      const t = performance.now();
      fullMatch(re, value);
      worst = Math.max(worst, performance.now() - t);
      if (worst > LIMIT_MS) return worst;
    }
  }
  return worst;
}

describe('checkPattern: accepted', () => {
  // [pattern, values that fully match, values that do not]
  const cases: Array<[string, string[], string[]]> = [
    ['admins', ['admins'], ['Admins', 'admins2', 'xadmins']],
    ['eng-[a-z0-9]+', ['eng-core', 'eng-42'], ['eng-', 'eng-Core', 'ops-core']],
    ['.*@example\\.com', ['a@example.com', '@example.com'], ['a@exampleXcom', 'a@example.com.evil']],
    ['[^@]+@(?:eu|us)\\.example\\.com', ['a@eu.example.com'], ['a@de.example.com', '@eu.example.com']],
    ['admin|owner', ['admin', 'owner'], ['adminowner', 'co-owner']],
    ['(?:admin|owner)s?', ['admins', 'owner'], ['ownerss']],
    ['(admin|owner|ops)-team', ['ops-team', 'owner-team'], ['o-team']],
    ['CN=([^,]+),OU=Groups,.*', ['CN=Eng,OU=Groups,DC=x'], ['CN=,OU=Groups,DC=x']],
    ['(.*\\.)?example\\.com', ['example.com', 'eu.example.com'], ['example.org']],
    ['.*-(admin|owner)s?.*', ['x-admins-y'], ['x-admn']],
    ['\\d{3}-\\d{4}', ['555-1234'], ['5551234', '55-1234']],
    ['[A-Z]{2,4}', ['AB', 'ABCD'], ['A', 'ABCDE']],
    ['a{2,}', ['aa', 'aaaa'], ['a']],
    ['(?:ab|cd)+', ['abcd', 'cdab'], ['abc', '']],
    ['(?:[a-z]|-)+', ['a-b'], ['A']],
    ['(\\w)+', ['abc_1'], ['a b']],
    ['\\w+\\s\\w+', ['John Smith'], ['JohnSmith']],
    ['\\bx\\b', ['x'], ['y']],
    ['^eng$', ['eng'], ['eng2']],
    ['.+?@x\\.io', ['a@x.io'], ['@x.io']],
    ['\\(\\)\\[\\]\\{\\}\\*\\+\\?\\|\\.\\^\\$\\\\\\/\\-', ['()[]{}*+?|.^$\\/-'], ['x']],
    ['[\\]\\-a-c^]', [']', '-', 'b', '^'], ['d']],
    ['[a-]+', ['a-a'], ['b']],
    ['café', ['café'], ['cafe']],
    ['.*.*x', ['abx', 'x'], ['abxy']],
  ];
  it.each(cases)('%s', (pattern, yes, no) => {
    expect(checkPattern(pattern)).toEqual({ ok: true });
    const re = compilePattern(pattern)!;
    for (const v of yes) expect(fullMatch(re, v), v).toBe(true);
    for (const v of no) expect(fullMatch(re, v), v).toBe(false);
  });
});

describe('checkPattern: rejected', () => {
  const cases: Array<[string, RegExp]> = [
    // catastrophic backtracking
    ['(a+)+$', /nested quantifier/],
    ['(a+)+', /nested quantifier/],
    ['(a*)*', /nested quantifier/],
    ['(a?){20}', /nested quantifier/],
    ['(.*a){20}', /nested quantifier/],
    ['(?:x+y?)+', /nested quantifier/],
    ['((a+))*', /nested quantifier/],
    ['(a|a)*', /same character/],
    ['(a|ab)+', /same character/],
    ['(\\w|\\d)*', /same character/],
    ['(?:a|A)*', /same character/], // overlapping once case-folded (email attributes run with `i`)
    ['(?:[a-z]|[A-Z])+', /same character/],
    ['(?:.|x)*', /same character/],
    ['(a|)*', /empty alternative/],
    ['(?:a|(?:b|c))*', /nested alternation/],
    ['(?:a\\b)+', /anchors/],
    ['.*.*.*x', /too many/],
    ['a*a*a*x', /too many/],
    ['.*.*a?a?', /too many/],
    ['(a|a)'.repeat(22), /too many/],
    ['a?'.repeat(22) + 'a'.repeat(22), /too many/],
    ['.{0,1000}.{0,1000}.{0,1000}', /too many/],
    // unsupported syntax
    ['(a)\\1', /backreference/],
    ['(?<n>a)\\k<n>', /lookarounds and named groups/],
    ['(?=a)a', /lookarounds/],
    ['(?!a).*', /lookarounds/],
    ['(?<=a)b', /lookarounds/],
    ['(?<!a)b', /lookarounds/],
    ['\\x41', /unsupported escape/],
    ['\\u0041', /unsupported escape/],
    ['\\p{L}', /unsupported escape/],
    ['\\cA', /unsupported escape/],
    ['\\0', /unsupported escape/],
    ['[\\b]', /unsupported escape/],
    ['😀', /Basic Multilingual Plane/],
    // invalid
    ['(eng', /unterminated group/],
    ['eng)', /unmatched/],
    ['[a-', /unterminated character class/],
    ['[z-a]', /out of order/],
    ['[\\d-z]', /invalid range/],
    ['[]', /empty character class/],
    ['[^]', /empty character class/],
    ['()', /empty group/],
    ['*a', /nothing to repeat/],
    ['a|*', /nothing to repeat/],
    ['a**', /nested quantifier/],
    ['a+*', /nested quantifier/],
    ['a{2}{3}', /nested quantifier/],
    ['a{3,2}', /out of order/],
    ['a{1001}', /at most 1000/],
    ['a{,5}', /invalid quantifier/],
    ['a{', /invalid quantifier/],
    ['a}', /unescaped/],
    ['a]', /unescaped/],
    ['^*', /nothing to repeat|cannot be repeated/],
    ['\\b+', /cannot be repeated/],
    ['a\\', /lone backslash/],
    ['', /empty/],
    ['a'.repeat(MAX_PATTERN_LENGTH + 1), /at most 200/],
  ];
  it.each(cases)('%s', (pattern, reason) => {
    const result = checkPattern(pattern);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
    expect(compilePattern(pattern)).toBeNull();
  });

  it('accepts a pattern of exactly the maximum length', () => {
    expect(checkPattern('a'.repeat(MAX_PATTERN_LENGTH)).ok).toBe(true);
  });

  it('rejects (a+)+$ before it can run against aaa…a!', () => {
    const start = performance.now();
    expect(checkPattern('(a+)+$').ok).toBe(false);
    const re = compilePattern('(a+)+$');
    expect(re).toBeNull();
    // The same input against an accepted, equivalent pattern is instant.
    expect(fullMatch(compilePattern('a+$')!, 'a'.repeat(50) + '!')).toBe(false);
    expect(performance.now() - start).toBeLessThan(100);
  });
});

describe('evaluation time', () => {
  // The costliest shapes the budget lets through, plus everyday patterns.
  const ACCEPTED_WORST = [
    '.*.*x',
    '.*.*a?x',
    '[a-z]*[a-z]*a?x',
    '.{0,1000}.{0,1000}x',
    '(?:ab|cd)*(?:ab|cd)*x',
    '(a|a)'.repeat(21) + 'x',
    'a?'.repeat(21) + 'a'.repeat(21) + 'x',
    '.*-(admin|owner)s?.*y',
    '.*@.*\\.example\\.com',
    'CN=([^,]+),OU=.*',
  ];

  it('every accepted worst case runs fast on 1 KiB inputs, with and without case folding', () => {
    for (const p of ACCEPTED_WORST) {
      expect(checkPattern(p), p).toEqual({ ok: true });
      expect(worstMs(compilePattern(p)!), p).toBeLessThan(LIMIT_MS);
      expect(worstMs(compilePattern(p, { caseInsensitive: true })!), p).toBeLessThan(LIMIT_MS);
    }
  });

  it('random patterns the check accepts all run fast (seeded fuzz)', () => {
    const TOKENS = ['a', 'a', 'b', 'x', '.', '[ab]', '[^a]', '\\w', '(', '(', '(?:', ')', ')', '|', '*', '+', '?', '{2,5}', '{3}', '{1,}', '^', '$'];
    let seed = 20240611;
    const rand = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let accepted = 0;
    let worst = 0;
    for (let i = 0; i < 3000 && accepted < 150; i++) {
      const len = 3 + Math.floor(rand() * 14);
      const pattern = Array.from({ length: len }, () => TOKENS[Math.floor(rand() * TOKENS.length)]).join('');
      if (!checkPattern(pattern).ok) continue;
      accepted++;
      const ms = worstMs(compilePattern(pattern)!);
      expect(ms, pattern).toBeLessThan(LIMIT_MS);
      worst = Math.max(worst, ms);
    }
    expect(accepted).toBeGreaterThan(50); // the fuzz must actually exercise accepted patterns
    expect(worst).toBeLessThan(LIMIT_MS);
  });

  it('the budget is what keeps three unbounded quantifiers out', () => {
    expect(MAX_PATTERN_COST).toBeLessThan((N + 1) ** 3);
    expect(MAX_PATTERN_COST).toBeGreaterThanOrEqual((N + 1) ** 2);
  });
});

describe('fullMatch / compilePattern', () => {
  it('anchors the whole pattern', () => {
    const re = compilePattern('a|b')!;
    expect(['a', 'b', 'ab', 'xa', 'bx'].map((v) => fullMatch(re, v))).toEqual([true, true, false, false, false]);
  });

  it('never matches a value over the cap (no truncation)', () => {
    const re = compilePattern('a*')!;
    expect(fullMatch(re, 'a'.repeat(N))).toBe(true);
    expect(fullMatch(re, 'a'.repeat(N + 1))).toBe(false);
  });

  it('folds case only when asked', () => {
    expect(fullMatch(compilePattern('.*@example\\.com')!, 'A@EXAMPLE.COM')).toBe(false);
    expect(fullMatch(compilePattern('.*@example\\.com', { caseInsensitive: true })!, 'A@EXAMPLE.COM')).toBe(true);
  });

  it('caches compiled patterns per flag', () => {
    expect(compilePattern('eng-.*')).toBe(compilePattern('eng-.*'));
    expect(compilePattern('eng-.*', { caseInsensitive: true })).not.toBe(compilePattern('eng-.*'));
    expect(compilePattern('eng-.*', { caseInsensitive: true })!.flags).toBe('i');
  });

  it('. does not match line breaks, as in JavaScript', () => {
    expect(fullMatch(compilePattern('a.b')!, 'a\nb')).toBe(false);
  });
});
