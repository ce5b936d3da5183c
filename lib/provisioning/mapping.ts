/**
 * Attribute-to-role mapping: which of a tenant's roles a user gets from the attributes (SAML
 * attributes / OIDC claims) their IdP sends. Pure functions, no I/O. Input is validated by
 * lib/validation/role-mappings.ts; evaluation is still defensive about what it is given.
 *
 * Decisions
 *
 * - Attributes are `Record<string, string | string[]>`. A single value behaves exactly like a
 *   one-element list. Empty strings are ignored (IdPs emit empty `<AttributeValue/>` for unset
 *   fields), so `{ department: '' }` and `{ department: [] }` are both "no value".
 *
 * - Lookup is by exact attribute name only (`groups` does not find `memberOf`, `Groups` or
 *   `http://schemas.microsoft.com/ws/2008/06/identity/claims/groups`). This keeps rules
 *   predictable. The caller that turns an assertion into attributes must key each attribute by
 *   both its full name and its friendly name (SAML `Name` and `FriendlyName`) so that rules can use
 *   either; when two names collide the caller decides which wins.
 *
 * - Operators (a rule "matches" when its operator holds; `value` as validated):
 *   - `equals`   — the attribute has exactly one distinct value, and it equals `value`. This is
 *                  single-valued equality as in Okta's `user.department == "Sales"`: a user whose
 *                  `department` is `["Sales", "Support"]` does not "equal" Sales. For membership
 *                  in a multi-valued attribute such as `groups`, use `contains` or `in`.
 *   - `contains` — any value equals `value` (membership: `groups contains "Admins"`).
 *   - `in`       — any value is one of the listed values.
 *   - `exists`   — the attribute is present with at least one non-empty value.
 *   - `matches`  — any value fully matches the regular expression `value`, anchored by us as
 *                  `^(?:value)$` and run by RE2 (./pattern.ts: linear time, no backtracking; a
 *                  pattern that does not compile or is too large never matches).
 *
 * - Budget: what one evaluation may cost is computed before any rule runs ({@link evaluationCost}):
 *   each `matches` rule costs (program size + 16) × (length + 8) per value of its attribute, the
 *   other operators (1 + length / 16) per value (plus the length of an `in` list). Over
 *   {@link MAPPING_BUDGET} the evaluation throws {@link MappingBudgetExceeded} and gives no
 *   result at all (never a partial one); callers turn that into a clear refusal. Calibrated on
 *   re2js 2.10 with its DFA off, on a 2-core machine: the slowest pattern families found (every
 *   instruction live at every character: `(?:.?){1,660}x` on short values, `(?:a|b)*a(?:a|b){400}`
 *   on `aaa…`) run at 10–12 ns per unit on an idle machine and up to ~35 ns under load, so the
 *   worst admissible evaluation takes ~40–50 ms (~150 ms loaded). Everyday patterns run 10–100×
 *   faster than that bound: 3 `matches` rules over 150 AD group DNs cost ~0.8 M units (0.5 ms).
 *   Sign-in bounds the attributes themselves (lib/sso/flow.ts `toIdpProfile`).
 *
 * - Case: names are always compared exactly. `matches` is always case-sensitive, as the contract
 *   says (write `[Ee]xample` or a lower-case pattern over a lower-case attribute). Other values are
 *   compared exactly except for email and domain attributes, where `equals`, `contains` and `in`
 *   compare case-insensitively — `Jane@Example.com` is the same mailbox as `jane@example.com`. These
 *   attributes are those named, ignoring case, `email`, `mail`, `emailaddress`, `domain`,
 *   `http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress` or
 *   `urn:oid:0.9.2342.19200300.100.1.3` ({@link CASE_INSENSITIVE_ATTRIBUTES}). Other look-alikes
 *   (`upn`, `emails`, `email_verified`) stay case-sensitive.
 *
 * - Result: the roles of all matching rules, sorted and de-duplicated, plus the matching rules in
 *   rule order. The default role applies only when no rule matches; a null default then gives no
 *   roles at all.
 */
import type { Rule, RoleMapping } from '../validation/role-mappings';
import { compilePattern, fullMatch } from './pattern';

export type { Rule, RoleMapping };

/** What a user sends: attribute or claim name → one value or several. */
export type Attributes = Record<string, string | readonly string[]>;

export type Evaluation = { roles: string[]; matched: Rule[] };

/**
 * Attribute names (compared lower-cased) whose values are emails or domains and so compare
 * case-insensitively: the common claim names, the WS-Federation/Azure AD email claim, and the
 * LDAP `mail` attribute as SAML sends it by OID.
 */
export const CASE_INSENSITIVE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'email',
  'mail',
  'emailaddress',
  'domain',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
]);

export function isCaseInsensitiveAttribute(name: string): boolean {
  return CASE_INSENSITIVE_ATTRIBUTES.has(name.toLowerCase());
}

/** The non-empty values of an attribute; [] when absent. Own properties only (`constructor` is not an attribute). */
export function attributeValues(attributes: Attributes, name: string): string[] {
  if (!Object.hasOwn(attributes, name)) return [];
  const raw: unknown = attributes[name];
  const list: unknown[] = Array.isArray(raw) ? raw : [raw];
  return list.filter((v): v is string => typeof v === 'string' && v.length > 0);
}

const identity = (s: string) => s;
const lower = (s: string) => s.toLowerCase();

/** Whether one rule holds for these attributes. Rules with an unusable value never match. */
export function ruleMatches(rule: Rule, attributes: Attributes): boolean {
  return matchValues(rule, attributeValues(attributes, rule.attribute));
}

function matchValues(rule: Rule, values: readonly string[]): boolean {
  const caseInsensitive = isCaseInsensitiveAttribute(rule.attribute);
  const fold = caseInsensitive ? lower : identity;
  const { value } = rule;

  switch (rule.operator) {
    case 'exists':
      return values.length > 0;
    case 'equals': {
      if (typeof value !== 'string' || value === '') return false;
      const distinct = new Set(values.map(fold));
      return distinct.size === 1 && distinct.has(fold(value));
    }
    case 'contains': {
      if (typeof value !== 'string' || value === '') return false;
      const wanted = fold(value);
      return values.some((v) => fold(v) === wanted);
    }
    case 'in': {
      if (!Array.isArray(value)) return false;
      const wanted = new Set(value.filter((v) => typeof v === 'string' && v !== '').map(fold));
      return values.some((v) => wanted.has(fold(v)));
    }
    case 'matches': {
      if (typeof value !== 'string' || value === '') return false;
      const re = compilePattern(value);
      return re !== null && values.some((v) => fullMatch(re, v));
    }
    default:
      return false; // an operator this version does not know never grants a role
  }
}

/** Most cost units one evaluation may take (see "Budget" above): ~50 ms at worst, ~150 ms on a loaded machine. */
export const MAPPING_BUDGET = 4_000_000;
/** Per-instruction and per-value overheads of a `matches` value, in units of program × character. */
const MATCH_PROGRAM_OVERHEAD = 16;
const MATCH_VALUE_OVERHEAD = 8;

/** Thrown by {@link evaluate} when the evaluation would cost more than its budget; nothing was evaluated. */
export class MappingBudgetExceeded extends Error {
  constructor(
    readonly cost: number,
    readonly budget: number,
    /** The rule that costs most: its index, attribute and operator. */
    readonly heaviest: { index: number; attribute: string; operator: string; values: number; characters: number } | null,
  ) {
    const h = heaviest ? `; the costliest is rule ${heaviest.index + 1} (${heaviest.attribute} ${heaviest.operator}, over ${heaviest.values} values / ${heaviest.characters} characters)` : '';
    super(`evaluating the role-mapping rules over these attributes would cost ${cost} units, over the budget of ${budget}${h}`);
    this.name = 'MappingBudgetExceeded';
  }
}

/**
 * The most time the role-mapping evaluations of one request may take together (Save and apply
 * over every user, a SCIM change re-evaluating a group's members). They run in one transaction,
 * which on embedded storage every other request waits behind. Measured, not estimated: the cost
 * units above bound the worst case of one user (~50 ms), and ordinary patterns run 20 to 1,000
 * times faster than their estimate, so a sum of estimates would refuse a large group's DELETE that
 * takes milliseconds. Past the budget the request is refused before its next user; the overshoot
 * is at most one user's evaluation.
 */
export const REQUEST_MAPPING_BUDGET_MS = 2_000;

/** Thrown by {@link evaluate} with a meter once a request's evaluations have taken its budget. */
export class RequestMappingBudgetExceeded extends Error {
  constructor(
    readonly spentMs: number,
    readonly budgetMs: number,
    /** Users evaluated before the refusal. */
    readonly evaluated: number,
  ) {
    super(`evaluating the role-mapping rules over ${evaluated} users took ${Math.round(spentMs)} ms, the budget of one request being ${budgetMs} ms`);
    this.name = 'RequestMappingBudgetExceeded';
  }
}

/** The time a request's evaluations have taken so far (pass one to every {@link evaluate} of the request). */
export class MappingMeter {
  spentMs = 0;
  evaluated = 0;
  constructor(readonly budgetMs = REQUEST_MAPPING_BUDGET_MS) {}
  /** Refuses the next evaluation once the budget is spent. */
  check(): void {
    if (this.spentMs >= this.budgetMs) throw new RequestMappingBudgetExceeded(this.spentMs, this.budgetMs, this.evaluated);
  }
  add(ms: number): void {
    this.spentMs += ms;
    this.evaluated++;
  }
}

type Column = { values: string[]; characters: number };

/** Each attribute a rule reads, once: its usable values and their total length. */
function columnsOf(rules: readonly Rule[], attributes: Attributes): Map<string, Column> {
  const out = new Map<string, Column>();
  for (const r of rules) {
    if (out.has(r.attribute)) continue;
    const values = attributeValues(attributes, r.attribute);
    let characters = 0;
    for (const v of values) characters += v.length;
    out.set(r.attribute, { values, characters });
  }
  return out;
}

function ruleCost(rule: Rule, c: Column): number {
  if (c.values.length === 0) return 0;
  if (rule.operator === 'matches') {
    const p = typeof rule.value === 'string' && rule.value !== '' ? compilePattern(rule.value) : null;
    if (!p) return 0; // never runs
    return (p.size + MATCH_PROGRAM_OVERHEAD) * (c.characters + MATCH_VALUE_OVERHEAD * c.values.length);
  }
  const list = Array.isArray(rule.value) ? rule.value.length : 0;
  return c.values.length + Math.ceil(c.characters / 16) + list;
}

/**
 * What evaluating `mapping` over `attributes` costs, in units of ~10–35 ns at worst, computed
 * without running any rule (patterns are compiled, which is bounded and cached), and the costliest rule.
 */
export function evaluationCost(mapping: RoleMapping, attributes: Attributes): { cost: number; heaviest: MappingBudgetExceeded['heaviest'] } {
  return costOver(mapping.rules, columnsOf(mapping.rules, attributes));
}

function costOver(rules: readonly Rule[], columns: Map<string, Column>): { cost: number; heaviest: MappingBudgetExceeded['heaviest'] } {
  let cost = 0;
  let heaviest: MappingBudgetExceeded['heaviest'] = null;
  let max = -1;
  rules.forEach((rule, index) => {
    const c = columns.get(rule.attribute)!;
    const k = ruleCost(rule, c);
    cost += k;
    if (k > max) {
      max = k;
      heaviest = { index, attribute: rule.attribute, operator: rule.operator, values: c.values.length, characters: c.characters };
    }
  });
  return { cost, heaviest };
}

/**
 * The roles a user with these attributes gets under `mapping`, and the rules that gave them.
 * Throws {@link MappingBudgetExceeded} (before running any rule) when that would cost more than
 * `opts.budget` (default {@link MAPPING_BUDGET}), and {@link RequestMappingBudgetExceeded} when it
 * would take `opts.meter`, the request's, past its budget.
 */
export function evaluate(mapping: RoleMapping, attributes: Attributes, opts: { budget?: number; meter?: MappingMeter } = {}): Evaluation {
  const budget = opts.budget ?? MAPPING_BUDGET;
  const columns = columnsOf(mapping.rules, attributes);
  const { cost, heaviest } = costOver(mapping.rules, columns);
  if (cost > budget) throw new MappingBudgetExceeded(cost, budget, heaviest);
  opts.meter?.check();
  const started = opts.meter ? performance.now() : 0;
  const matched = mapping.rules.filter((rule) => matchValues(rule, columns.get(rule.attribute)!.values));
  opts.meter?.add(performance.now() - started);
  if (matched.length === 0) {
    return { roles: mapping.defaultRole ? [mapping.defaultRole] : [], matched };
  }
  return { roles: sortedUnique(matched.map((r) => r.role)), matched };
}

/** Roles gained and lost between two role lists (each sorted, de-duplicated), for audit details. */
export function diffRoles(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return {
    added: sortedUnique(after.filter((r) => !b.has(r))),
    removed: sortedUnique(before.filter((r) => !a.has(r))),
  };
}

function sortedUnique(list: readonly string[]): string[] {
  return [...new Set(list)].sort();
}
