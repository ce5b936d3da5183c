import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { cachedPatterns, checkPattern, compilePattern, estimateProgramSize, fullMatch, MAX_CACHED, MAX_PROGRAM_SIZE, tame } from './pattern';

/** Inputs that made the old backtracking engine blow up: long runs that almost match. */
const ADVERSARIAL = ['a'.repeat(4095) + '!', 'ab'.repeat(2047) + '!!', '-'.repeat(4094) + 'a!', 'CN=' + 'a,'.repeat(2040) + '!'];

describe('patterns the backtracking checker refused are plain patterns under RE2', () => {
  it.each([
    ['(a+)+$', 'aaaa', true],
    ['(a|a)*', 'aaa', true],
    ['(a|ab)+', 'abab', true],
    ['(\\w|\\d)*', 'a1', true],
    ['(.*a){20}', 'a'.repeat(20), true],
    ['.*.*.*x', 'abcx', true],
    ['(a?){22}a{22}', 'a'.repeat(22), true],
    ['(?:[a-z]|a|aa|aaa){1,200}z', 'aaz', true],
    ['\\pL+@example\\.com', 'jörg@example.com', true],
  ])('%s', (pattern, value, matches) => {
    const p = compilePattern(pattern);
    expect(p).not.toBeNull();
    expect(fullMatch(p!, value)).toBe(matches);
    const start = performance.now();
    for (const v of ADVERSARIAL) expect(fullMatch(p!, v)).toBe(false);
    // Linear time: 4 KiB inputs in well under a second each (the old engine: exponential).
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('anchoring and case', () => {
  it.each([
    ['eng-[a-z]+', 'eng-core', true],
    ['eng-[a-z]+', 'x-eng-core', false],
    ['eng-[a-z]+', 'eng-core-2', false],
    ['admin|owner', 'co-owner', false],
    ['admin|owner', 'owner', true],
    ['^eng$', 'eng', true],
    ['Eng', 'eng', false],
    ['(?i)Eng', 'eng', true],
  ])('%s on %s', (pattern, value, expected) => {
    expect(fullMatch(compilePattern(pattern)!, value)).toBe(expected);
  });
});

describe('refused patterns', () => {
  it.each([
    ['', /empty/],
    ['a'.repeat(201), /at most 200 characters/],
    ['(eng', /invalid regular expression: missing closing \)/],
    ['a)|(b', /invalid regular expression/],
    ['(a)\\1', /invalid regular expression: invalid escape sequence/],
    ['(?=a)a', /invalid regular expression: invalid or unsupported Perl syntax/],
    ['(?<!a)b', /invalid regular expression/],
    ['a**', /invalid regular expression: invalid nested repetition/],
    ['[z-a]', /invalid regular expression: invalid character class range/],
    ['a{1001}', /invalid regular expression: invalid repeat count/],
    ['(?:a{100}){100}', /too complex|invalid repeat count/],
    ['[\\s\\S]{1,1000}x', /too complex \(2004 instructions\).*at most 2000/],
    ['.{1,1000}.{1,1000}', /too complex/],
  ])('%j', (pattern, reason) => {
    const check = checkPattern(pattern);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
    expect(compilePattern(pattern)).toBeNull();
  });

  it('refuses a pattern far over the size cap without compiling it', () => {
    // 28 × a{1000} would compile to 28,000 instructions, a third of a second of compiling.
    const huge = 'b{1000}'.repeat(28);
    const start = performance.now();
    expect(checkPattern(huge)).toEqual({ ok: false, reason: expect.stringMatching(/too complex/) });
    expect(performance.now() - start).toBeLessThan(50);
  });
});

describe('program size', () => {
  it.each([
    ['.*.*.*x', 11],
    ['[a-z]+@example\\.com', 18],
    ['(?:[a-z]|a|aa|aaa){1,200}z', 1604],
  ])('%s compiles to %i instructions', (pattern, size) => {
    expect(checkPattern(pattern)).toEqual({ ok: true, size });
  });

  it.each(['.*.*.*x', '[a-z]+@example\\.com', '(?:[a-z]|a|aa|aaa){1,200}z', 'a{1000}', '\\Qa{1000}\\E{3}', '(?P<x>ab){10}', '[]a]{100}', '[[:alpha:]]{100}', '\\x{41}{100}', '\\pL{2,}', '(?i)(?:ab|cd)?{0,}', 'x{,5}', 'CN=([^,]+),OU=Groups,.*', '((a|b|)+c){1,10}'])(
    'the estimate of %s is not below the compiled size',
    (pattern) => {
      let real = 0;
      try {
        real = RE2JS.compile(`^(?:${pattern})$`).programSize();
      } catch {
        return; // not a pattern at all: nothing to bound
      }
      expect(estimateProgramSize(pattern)).toBeGreaterThanOrEqual(real);
    },
  );

  it('caps the compiled size', () => {
    expect(MAX_PROGRAM_SIZE).toBe(2000);
  });
});

describe('engine and cache', () => {
  it('switches off the lazy DFA of this re2js version (its internals are where tame() expects them)', () => {
    const re = RE2JS.compile('^(?:a+)$');
    expect(tame(re)).toBe(true);
    expect(re.matches('aaa')).toBe(true);
    expect(re.matches('aab')).toBe(false);
  });

  it('keeps at most MAX_CACHED compiled patterns, least recently used out first', () => {
    const keep = compilePattern('keep-me-[0-9]+')!;
    for (let i = 0; i < MAX_CACHED + 50; i++) {
      compilePattern(`filler-${i}`);
      if (i % 100 === 0) compilePattern('keep-me-[0-9]+'); // recently used: stays
    }
    expect(cachedPatterns()).toBeLessThanOrEqual(MAX_CACHED);
    expect(compilePattern('keep-me-[0-9]+')).toBe(keep);
  });
});
