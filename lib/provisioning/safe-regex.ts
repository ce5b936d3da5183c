/**
 * Safety check for the admin-written regular expressions of `matches` role-mapping rules.
 *
 * JavaScript's regex engine backtracks, so a pattern such as `(a+)+$` takes exponential time on
 * an input like `aaaa…a!`. Patterns are written by tenant admins but run against attribute values
 * that come from the IdP (that is, partly from end users), so every pattern is checked here before
 * it is stored and again before it is run. The check is deliberately conservative: it parses a
 * small, explicit subset of the regex syntax and rejects anything outside it, or anything inside
 * it whose backtracking could grow large.
 *
 * Accepted syntax
 * - literal characters; any ASCII punctuation may be escaped (`\.`, `\-`, `\/`, `\(` …) and the
 *   characters `( ) [ ] { } * + ? |` must be escaped to be matched literally
 * - `.`, character classes `[a-z0-9_.-]` / `[^,]`, and the escapes `\d \D \w \W \s \S \t \n \r \f \v`
 * - anchors and word boundaries `^ $ \b \B` (the pattern is always anchored anyway)
 * - groups `( … )` and `(?: … )`, alternation `a|b`
 * - quantifiers `* + ? {n} {n,} {n,m}` (bounds ≤ 1000), optionally lazy (`*?`)
 *
 * Rejected outright: backreferences (`\1`, `\k<x>`), lookarounds (`(?=` `(?!` `(?<=` `(?<!`),
 * named groups, `\x \u \p \c \0` and other letter escapes, empty classes `[]` / `[^]`, empty groups,
 * characters outside the Basic Multilingual Plane, patterns over 200 characters.
 *
 * Rejected because they can backtrack badly
 * - a repeating quantifier (one whose maximum is above 1) on a group that itself contains a
 *   quantifier — star height above one: `(a+)+`, `(a*)*`, `(a?){20}`, `(.*a){20}`;
 * - a repeating quantifier on a group whose alternatives could start with the same character
 *   (after ASCII case folding): `(a|a)*`, `(a|ab)+`, `(\w|\d)*`, or which holds an anchor, a nested
 *   alternation, or an alternative that can be empty;
 * - patterns whose estimated number of backtracking paths exceeds {@link MAX_PATTERN_COST}.
 *   The estimate multiplies, along a sequence, the number of repeat counts each variable
 *   quantifier can choose (`*` on a value of at most 1024 characters: 1025; `?`: 2; `{2,5}`: 4),
 *   and adds up the alternatives of an alternation that can start with the same character
 *   (`(admin|owner)` counts 1, `(a|a)` 2). So `.*@example\.com`, `[^,]+,OU=.*` or
 *   `.*-(admin|owner)s?.*` pass, while `.*.*.*x` (≈10⁹ paths on a 1 KiB value), `a?` × 22 or
 *   twenty-two `(a|a)` groups in a row do not.
 *
 * Evaluation adds a second guard: values longer than {@link MAX_MATCH_INPUT_LENGTH} never match
 * (they are not truncated, which could create a false match), so the estimate above is a real bound.
 *
 * Patterns are compiled without the `u` flag (so that case folding under `i` never maps a
 * non-ASCII character onto an ASCII one, which keeps the overlap analysis simple) and always as
 * `^(?:pattern)$`.
 */

/** Longest accepted pattern, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 200;
/** Values longer than this never match a pattern. */
export const MAX_MATCH_INPUT_LENGTH = 1024;
/** Largest accepted `{n,m}` bound. */
export const MAX_QUANTIFIER_BOUND = 1000;
/**
 * Budget for the backtracking estimate: two unbounded quantifiers and one optional element
 * (`.*-(admin|owner)s?.*`: 1025² × 2) fit; three unbounded quantifiers do not. Everyday patterns
 * run in microseconds; the densest the budget admits (`a?` × 21 then `a` × 21) take about 15 ms on
 * a 1 KiB value, `.*.*x` about 1 ms.
 */
export const MAX_PATTERN_COST = 2 * (MAX_MATCH_INPUT_LENGTH + 1) ** 2;
const MAX_GROUP_DEPTH = 10;

export type PatternCheck = { ok: true } | { ok: false; reason: string };

// ---------------------------------------------------------------------------------------------
// Character sets: sorted, non-overlapping inclusive ranges of UTF-16 code units.

type CharSet = ReadonlyArray<readonly [number, number]>;
const MAX_UNIT = 0xffff;

function normalize(ranges: Array<readonly [number, number]>): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i][1] < b[j][0]) i++;
    else if (b[j][1] < a[i][0]) j++;
    else return true;
  }
  return false;
}

/**
 * Closes a set under the case folding the `i` flag may apply (patterns on email attributes run
 * case-insensitively): ASCII letters gain their other case, and any non-ASCII member widens the
 * set to all non-ASCII code units. Without the `u` flag, `i` never folds non-ASCII onto ASCII.
 */
function caseClosure(set: CharSet): CharSet {
  const extra: Array<readonly [number, number]> = [];
  for (const [lo, hi] of set) {
    const upLo = Math.max(lo, 0x41);
    const upHi = Math.min(hi, 0x5a);
    if (upLo <= upHi) extra.push([upLo + 32, upHi + 32]);
    const lowLo = Math.max(lo, 0x61);
    const lowHi = Math.min(hi, 0x7a);
    if (lowLo <= lowHi) extra.push([lowLo - 32, lowHi - 32]);
    if (hi >= 0x80) extra.push([0x80, MAX_UNIT]);
  }
  return normalize([...set, ...extra]);
}

const code = (c: string) => c.charCodeAt(0);
const single = (c: number): CharSet => [[c, c]];
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = normalize([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
// What \s matches: ECMAScript WhiteSpace and LineTerminator.
const SPACE: CharSet = normalize([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
const DOT: CharSet = complement(normalize([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]));

const CLASS_ESCAPES: Record<string, CharSet> = {
  d: DIGIT, D: complement(DIGIT), w: WORD, W: complement(WORD), s: SPACE, S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, r: 0x0d, f: 0x0c, v: 0x0b };

// ---------------------------------------------------------------------------------------------
// Parsing

type Node =
  | { type: 'char'; set: CharSet } // one character: literal, class, escape or `.`
  | { type: 'assert' } // ^ $ \b \B
  | { type: 'group'; alts: Node[][] }
  | { type: 'repeat'; node: Node; min: number; max: number };

class Unsafe extends Error {}

const isAsciiPunct = (c: string) => /^[!-/:-@[-`{-~]$/.test(c);

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly src: string) {}

  parse(): Node[][] {
    const alts = this.alternation();
    if (this.i < this.src.length) throw new Unsafe(`unmatched ")" at position ${this.i + 1}`);
    return alts;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node[][] {
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts;
  }

  private sequence(): Node[] {
    const items: Node[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      const atom = this.atom();
      const q = this.quantifier();
      if (!q) {
        items.push(atom);
        continue;
      }
      if (atom.type === 'assert') throw new Unsafe('an anchor or word boundary cannot be repeated');
      items.push({ type: 'repeat', node: atom, min: q.min, max: q.max });
      const after = this.peek();
      if (after === '*' || after === '+' || after === '?' || after === '{') {
        throw new Unsafe(`nested quantifier at position ${this.i + 1}`);
      }
    }
    return items;
  }

  private atom(): Node {
    const at = this.i + 1;
    const c = this.src[this.i++];
    switch (c) {
      case '(': {
        if (this.peek() === '?') {
          if (this.src[this.i + 1] !== ':') {
            throw new Unsafe('lookarounds and named groups are not supported; use (…) or (?:…)');
          }
          this.i += 2;
        }
        if (++this.depth > MAX_GROUP_DEPTH) throw new Unsafe('groups are nested too deeply');
        const alts = this.alternation();
        if (this.peek() !== ')') throw new Unsafe(`unterminated group opened at position ${at}`);
        this.i++;
        this.depth--;
        if (alts.length === 1 && alts[0].length === 0) throw new Unsafe(`empty group at position ${at}`);
        return { type: 'group', alts };
      }
      case '[':
        return { type: 'char', set: this.charClass(at) };
      case '.':
        return { type: 'char', set: DOT };
      case '^':
      case '$':
        return { type: 'assert' };
      case '\\':
        return this.escape(at);
      case '*':
      case '+':
      case '?':
      case '{':
        throw new Unsafe(`nothing to repeat at position ${at} (escape "${c}" to match it literally)`);
      case ']':
      case '}':
        throw new Unsafe(`unescaped "${c}" at position ${at}`);
      default:
        return { type: 'char', set: single(code(c)) };
    }
  }

  private escape(at: number): Node {
    const c = this.src[this.i++];
    if (c === undefined) throw new Unsafe('pattern ends with a lone backslash');
    if (c === 'b' || c === 'B') return { type: 'assert' };
    if (c in CLASS_ESCAPES) return { type: 'char', set: CLASS_ESCAPES[c] };
    if (c in CONTROL_ESCAPES) return { type: 'char', set: single(CONTROL_ESCAPES[c]) };
    if (isAsciiPunct(c)) return { type: 'char', set: single(code(c)) };
    if (/[1-9]/.test(c) || c === 'k') throw new Unsafe(`backreferences are not supported (position ${at})`);
    throw new Unsafe(`unsupported escape "\\${c}" at position ${at}`);
  }

  /** A class body after `[`; returns the set it matches. */
  private charClass(at: number): CharSet {
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.i++;
    }
    if (this.peek() === ']') throw new Unsafe(`empty character class at position ${at}`);
    const ranges: Array<readonly [number, number]> = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new Unsafe(`unterminated character class opened at position ${at}`);
      if (c === ']') {
        this.i++;
        break;
      }
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.i + 1] !== undefined && this.src[this.i + 1] !== ']') {
        this.i++;
        const hi = this.classAtom();
        if (typeof lo !== 'number' || typeof hi !== 'number') {
          throw new Unsafe(`invalid range in character class at position ${at}`);
        }
        if (lo > hi) throw new Unsafe(`range out of order in character class at position ${at}`);
        ranges.push([lo, hi]);
      } else if (typeof lo === 'number') {
        ranges.push([lo, lo]);
      } else {
        ranges.push(...lo);
      }
    }
    const set = normalize(ranges);
    return negate ? complement(set) : set;
  }

  /** One class member: a code unit, or a set for \d \w \s and their negations. */
  private classAtom(): number | CharSet {
    const c = this.src[this.i++];
    if (c !== '\\') return code(c);
    const e = this.src[this.i++];
    if (e === undefined) throw new Unsafe('pattern ends with a lone backslash');
    if (e in CLASS_ESCAPES) return CLASS_ESCAPES[e];
    if (e in CONTROL_ESCAPES) return CONTROL_ESCAPES[e];
    if (isAsciiPunct(e)) return code(e);
    throw new Unsafe(`unsupported escape "\\${e}" in character class`);
  }

  /** A quantifier at the cursor, if any. */
  private quantifier(): { min: number; max: number } | null {
    const c = this.peek();
    let q: { min: number; max: number } | null = null;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    if (q) this.i++;
    else if (c === '{') {
      const m = /^\{(\d{1,4})(?:(,)(\d{1,4})?)?\}/.exec(this.src.slice(this.i));
      if (!m) throw new Unsafe(`invalid quantifier at position ${this.i + 1} (escape "{" to match it literally)`);
      const min = Number(m[1]);
      const max = m[2] ? (m[3] !== undefined ? Number(m[3]) : Infinity) : min;
      if (min > MAX_QUANTIFIER_BOUND || (max !== Infinity && max > MAX_QUANTIFIER_BOUND)) {
        throw new Unsafe(`quantifier bounds must be at most ${MAX_QUANTIFIER_BOUND}`);
      }
      if (min > max) throw new Unsafe(`quantifier {${m[1]},${m[3]}} is out of order`);
      this.i += m[0].length;
      q = { min, max };
    }
    if (q && this.peek() === '?') this.i++; // lazy: same paths, other order
    return q;
  }

  /** Lone or paired surrogates would mean different things with and without the `u` flag. */
  static checkUnits(src: string) {
    for (let i = 0; i < src.length; i++) {
      const u = src.charCodeAt(i);
      if (u >= 0xd800 && u <= 0xdfff) {
        throw new Unsafe('characters outside the Basic Multilingual Plane are not supported');
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis

/**
 * Checks that a group may be repeated: each iteration must be deterministic, i.e. its alternatives
 * are non-empty fixed sequences of characters whose first characters cannot coincide. Returns
 * nothing; throws with the reason otherwise.
 */
function checkRepeatableBody(group: Extract<Node, { type: 'group' }>) {
  const firsts: CharSet[] = [];
  for (const alt of group.alts) {
    if (alt.length === 0) throw new Unsafe('a repeated group cannot have an empty alternative');
    // Flatten nested single-alternative groups: ((ab)c)* is abc repeated.
    const flat: Node[] = [];
    const walk = (nodes: Node[]) => {
      for (const n of nodes) {
        if (n.type === 'repeat') throw new Unsafe('nested quantifiers (a quantifier inside a repeated group) can backtrack catastrophically');
        if (n.type === 'assert') throw new Unsafe('a repeated group cannot contain anchors or word boundaries');
        if (n.type === 'group') {
          if (n.alts.length > 1) throw new Unsafe('a repeated group cannot contain a nested alternation');
          walk(n.alts[0]);
        } else flat.push(n);
      }
    };
    walk(alt);
    const first = flat[0];
    if (!first || first.type !== 'char') throw new Unsafe('a repeated group cannot have an empty alternative');
    const set = caseClosure(first.set);
    if (firsts.some((f) => intersects(f, set))) {
      throw new Unsafe('alternatives in a repeated group must not start with the same character (e.g. (a|ab)*)');
    }
    firsts.push(set);
  }
}

/** Number of repeat counts a quantifier can choose on a value of at most MAX_MATCH_INPUT_LENGTH. */
function choices(min: number, max: number): number {
  const top = Math.min(max, MAX_MATCH_INPUT_LENGTH);
  return top >= min ? top - min + 1 : 1;
}

/** The characters a sequence can start with, and whether it can match the empty string. */
function firstOf(seq: Node[]): { set: CharSet; nullable: boolean } {
  let set: CharSet = [];
  for (const n of seq) {
    const f = firstOfNode(n);
    set = normalize([...set, ...f.set]);
    if (!f.nullable) return { set, nullable: false };
  }
  return { set, nullable: true };
}

function firstOfNode(n: Node): { set: CharSet; nullable: boolean } {
  switch (n.type) {
    case 'char':
      return { set: n.set, nullable: false };
    case 'assert':
      return { set: [], nullable: true };
    case 'group': {
      const fs = n.alts.map(firstOf);
      return { set: normalize(fs.flatMap((f) => f.set)), nullable: fs.some((f) => f.nullable) };
    }
    case 'repeat': {
      const f = firstOfNode(n.node);
      return { set: f.set, nullable: f.nullable || n.min === 0 };
    }
  }
}

/**
 * Estimated number of backtracking paths through an alternation. At any position only the
 * alternatives that can start with the next character get past their first step (the others fail
 * at once), and those all overlap with one another; so the paths are bounded by the largest sum,
 * over one alternative, of the costs of the alternatives whose first characters (after case
 * folding) overlap with its own. An alternative that can match the empty string overlaps with all.
 * `(admin|owner)` costs 1, `(owner|ops)` 2, `(a|a|a)` 3.
 */
function costOfAlts(alts: Node[][]): number {
  const costs = alts.map((alt) => alt.reduce((p, n) => p * costOfNode(n), 1));
  if (alts.length === 1) return costs[0];
  const firsts = alts.map((alt) => {
    const f = firstOf(alt);
    return f.nullable ? ([[0, MAX_UNIT]] as CharSet) : caseClosure(f.set);
  });
  let worst = 0;
  for (let i = 0; i < alts.length; i++) {
    let sum = 0;
    for (let j = 0; j < alts.length; j++) if (intersects(firsts[i], firsts[j])) sum += costs[j];
    worst = Math.max(worst, sum);
  }
  return worst;
}

function costOfNode(n: Node): number {
  switch (n.type) {
    case 'char':
    case 'assert':
      return 1;
    case 'group':
      return costOfAlts(n.alts);
    case 'repeat': {
      const inner = n.node;
      if (inner.type === 'char') return choices(n.min, n.max);
      if (inner.type !== 'group') throw new Unsafe('an anchor or word boundary cannot be repeated');
      if (n.max <= 1) {
        // `(…)?` runs the group at most once: skip it, or take one of its paths.
        return (n.min === 0 ? 1 : 0) + (n.max === 1 ? costOfAlts(inner.alts) : 0);
      }
      checkRepeatableBody(inner); // throws on (a+)+, (a|ab)* and the like
      return choices(n.min, n.max);
    }
  }
}

/** Whether `pattern` is in the accepted subset and cheap enough to run; if not, why. */
export function checkPattern(pattern: string): PatternCheck {
  if (typeof pattern !== 'string' || pattern.length === 0) return { ok: false, reason: 'pattern must not be empty' };
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `pattern must be at most ${MAX_PATTERN_LENGTH} characters` };
  }
  try {
    Parser.checkUnits(pattern);
    const alts = new Parser(pattern).parse();
    const cost = costOfAlts(alts);
    if (cost > MAX_PATTERN_COST) {
      return {
        ok: false,
        reason: 'pattern has too many variable quantifiers or ambiguous alternatives and could run too long; simplify it (for instance at most two of * + {n,m})',
      };
    }
    // The subset is valid JavaScript, but let the engine have the last word.
    new RegExp(`^(?:${pattern})$`);
    return { ok: true };
  } catch (e) {
    if (e instanceof Unsafe) return { ok: false, reason: e.message };
    return { ok: false, reason: `invalid regular expression: ${(e as Error).message}` };
  }
}

const compiled = new Map<string, RegExp | null>();
const MAX_CACHED = 1000;

/**
 * The anchored RegExp for a pattern, or null when the pattern fails {@link checkPattern} (so a
 * rule stored before a check existed, or built in code, still cannot run an unsafe pattern).
 * Results are cached.
 */
export function compilePattern(pattern: string, opts: { caseInsensitive?: boolean } = {}): RegExp | null {
  const flags = opts.caseInsensitive ? 'i' : '';
  const key = `${flags}/${pattern}`;
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  const re = checkPattern(pattern).ok ? new RegExp(`^(?:${pattern})$`, flags) : null;
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, re);
  return re;
}

/** Whether `value` fully matches `re`; values over MAX_MATCH_INPUT_LENGTH never match. */
export function fullMatch(re: RegExp, value: string): boolean {
  if (value.length > MAX_MATCH_INPUT_LENGTH) return false;
  re.lastIndex = 0; // no g/y flag is ever set, but be explicit
  return re.test(value);
}
