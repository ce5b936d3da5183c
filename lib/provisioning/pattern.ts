/**
 * The regular expressions of `matches` role-mapping rules, run by RE2 (`re2js`, RE2's JavaScript
 * port): matching takes time linear in the program size × the input length, whatever the pattern
 * (`(a+)+$` is as harmless as `a+`), so no backtracking analysis is needed. What remains bounded
 * here is the size of each program; the total of one evaluation is budgeted by ./mapping.ts.
 *
 * - Syntax is RE2's (https://github.com/google/re2/wiki/Syntax): no backreferences, no
 *   lookarounds. A pattern is checked on its own (so that `a)|(b` is refused rather than becoming
 *   valid once wrapped) and compiled as `^(?:pattern)$`, case-sensitive; inline flags such as
 *   `(?i)` are the admin's explicit choice.
 * - At most {@link MAX_PATTERN_LENGTH} characters and {@link MAX_PROGRAM_SIZE} compiled
 *   instructions. Counted repetitions expand at compile time (`a{1000}` is 1,000 instructions), and
 *   compiling a 200-character pattern can take a third of a second before its size is known, so a
 *   pattern is first sized without compiling ({@link estimateProgramSize}, RE2's own size
 *   arithmetic over a light parse) and refused unseen when far over.
 * - Engine: re2js tries a lazily built DFA first. On adversarial inputs that DFA rebuilds states
 *   at every character (measured 100–250 ns per instruction × character) and keeps up to 8 MiB per
 *   pattern, so it is switched off ({@link tame}): matches run on the bit-state backtracker or the
 *   Pike VM, both O(program × input) with a small constant, and a cached pattern holds no state.
 * - Compiled patterns are cached (least recently used first out, {@link MAX_CACHED} entries).
 *
 * No Node-only imports: components/role-mappings/preview.ts evaluates rules in the browser.
 */
import { RE2JS } from 're2js';

/** Longest accepted pattern, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 200;
/** Largest accepted compiled program (`.*@example\.com` is 15, `(?:[a-z]|a|aa|aaa){1,200}z` 1,604). */
export const MAX_PROGRAM_SIZE = 2000;
/** Compiled patterns kept. */
export const MAX_CACHED = 1000;

export type Pattern = { readonly source: string; readonly size: number; readonly re: RE2JS };
export type PatternCheck = { ok: true; size: number } | { ok: false; reason: string };

const cache = new Map<string, Pattern | { reason: string }>();

/** The compiled pattern, or why it is refused. Cached either way. */
function lookup(pattern: string): Pattern | { reason: string } {
  // Not cached (a long key would be kept): refused at once.
  if (typeof pattern !== 'string' || pattern.length === 0) return { reason: 'pattern must not be empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) return { reason: `pattern must be at most ${MAX_PATTERN_LENGTH} characters` };
  const hit = cache.get(pattern);
  if (hit !== undefined) {
    // Refresh: a Map iterates in insertion order, so the first key is the least recently used.
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const made = build(pattern);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as string);
  cache.set(pattern, made);
  return made;
}

function build(pattern: string): Pattern | { reason: string } {
  if (estimateProgramSize(pattern) > 2 * MAX_PROGRAM_SIZE) return { reason: tooComplex() };
  try {
    RE2JS.compile(pattern); // on its own first: `a)|(b` must not become valid inside ^(?:…)$
    const re = RE2JS.compile(`^(?:${pattern})$`);
    const size = programSize(re);
    if (size > MAX_PROGRAM_SIZE) return { reason: tooComplex(size) };
    tame(re);
    return { source: pattern, size, re };
  } catch (e) {
    return { reason: syntaxMessage(e, pattern) };
  }
}

const tooComplex = (size?: number) =>
  `pattern is too complex${size ? ` (${size} instructions)` : ''}: it must compile to at most ${MAX_PROGRAM_SIZE} instructions; use fewer or smaller counted repetitions such as {1,1000}`;

/** RE2's message without its prefix; the pattern is quoted as written. */
function syntaxMessage(e: unknown, pattern: string): string {
  const raw = e instanceof Error ? e.message : String(e);
  const msg = raw.replace(/^error parsing regexp:\s*/, '');
  return `invalid regular expression: ${msg || 'cannot be parsed'}${msg.includes(pattern) ? '' : ` in \`${pattern}\``}`;
}

/** Instructions of a compiled program (what matching time is proportional to, per character). */
function programSize(re: RE2JS): number {
  const inst = (re as unknown as { re2Input?: { prog?: { inst?: unknown[] } } }).re2Input?.prog?.inst;
  return Array.isArray(inst) ? inst.length : re.programSize();
}

/**
 * Switches off the lazy DFA of re2js 2.10 (see the module comment). Checked by pattern.test.ts, so
 * an upgrade that renames these internals fails a test instead of quietly bringing the DFA back.
 */
export function tame(re: RE2JS): boolean {
  const dfa = (re as unknown as { re2Input?: { dfa?: { failed?: boolean } } }).re2Input?.dfa;
  if (!dfa || typeof dfa.failed !== 'boolean') return false;
  dfa.failed = true;
  return true;
}

/** Whether `pattern` is a usable `matches` value, with its program size; if not, why. */
export function checkPattern(pattern: string): PatternCheck {
  const p = lookup(pattern);
  return 're' in p ? { ok: true, size: p.size } : { ok: false, reason: p.reason };
}

/** The compiled pattern, or null when {@link checkPattern} refuses it (then the rule never matches). */
export function compilePattern(pattern: string): Pattern | null {
  const p = lookup(pattern);
  return 're' in p ? p : null;
}

/** How many patterns (and refusals) are cached now. */
export const cachedPatterns = () => cache.size;

/** Whether `value` matches the whole pattern. */
export function fullMatch(p: Pattern, value: string): boolean {
  return p.re.matches(value);
}

/**
 * An upper estimate of the compiled size of `pattern` without compiling it: RE2's size arithmetic
 * (a repeat `{n,m}` of x costs m·|x| + (m − n), `*` 2 + |x|, an alternation the sum plus one per
 * `|`) over a light tokenisation of RE2 syntax. Only used to refuse patterns far over
 * {@link MAX_PROGRAM_SIZE} before paying for their compilation; the compiled size decides.
 */
export function estimateProgramSize(pattern: string): number {
  type Frame = { branches: number[]; current: number; last: number };
  const stack: Frame[] = [{ branches: [], current: 0, last: 0 }];
  const top = () => stack[stack.length - 1];
  const atom = (size: number) => {
    const f = top();
    f.current += size;
    f.last = size;
  };
  const repeat = (min: number, max: number) => {
    const f = top();
    const sub = f.last;
    const size = max < 0 ? (min === 0 ? 2 + sub : 1 + min * sub) : max * sub + (max - min);
    f.current += size - sub;
    f.last = size;
  };
  const close = (f: Frame) => {
    const all = [...f.branches, f.current];
    return Math.max(1, all.reduce((s, b) => s + b, 0) + all.length - 1);
  };
  const s = pattern;
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === 'Q') {
        const end = s.indexOf('\\E', i + 2);
        const lit = end < 0 ? s.length - (i + 2) : end - (i + 2);
        for (let k = 0; k < lit; k++) atom(1);
        i = end < 0 ? s.length : end + 2;
        continue;
      }
      if ((n === 'p' || n === 'P' || n === 'x') && s[i + 2] === '{') {
        const end = s.indexOf('}', i + 3);
        i = end < 0 ? s.length : end + 1;
      } else i += n === 'p' || n === 'P' ? 3 : 2;
      atom(1);
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      if (s[j] === '^') j++;
      if (s[j] === ']') j++;
      while (j < s.length && s[j] !== ']') {
        if (s[j] === '\\') j += 2;
        else if (s[j] === '[' && s[j + 1] === ':') {
          const end = s.indexOf(':]', j + 2);
          j = end < 0 ? j + 1 : end + 2;
        } else j++;
      }
      i = j + 1;
      atom(1);
      continue;
    }
    if (c === '(') {
      const flagsOnly = /^\(\?[a-zA-Z-]*\)/.exec(s.slice(i));
      if (flagsOnly) {
        i += flagsOnly[0].length;
        continue;
      }
      stack.push({ branches: [], current: 0, last: 0 });
      const head = /^\(\?(?:P?<[^>]*>|[a-zA-Z-]*:)/.exec(s.slice(i));
      i += head ? head[0].length : 1;
      continue;
    }
    if (c === ')' && stack.length > 1) {
      const size = close(stack.pop()!) + 2;
      atom(size);
      i++;
      continue;
    }
    if (c === '|') {
      const f = top();
      f.branches.push(f.current);
      f.current = 0;
      f.last = 0;
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      repeat(c === '+' ? 1 : 0, c === '?' ? 1 : -1);
      i += s[i + 1] === '?' ? 2 : 1;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(i));
      if (m) {
        const min = Number(m[1]);
        const max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        repeat(min, max);
        i += m[0].length + (s[i + m[0].length] === '?' ? 1 : 0);
        continue;
      }
    }
    atom(1);
    i++;
  }
  while (stack.length > 1) {
    const size = close(stack.pop()!) + 2;
    atom(size);
  }
  return close(stack[0]) + 4; // ^ $ and the wrapper
}
