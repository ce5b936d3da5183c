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
 *                  `^(?:value)$`. Patterns must pass the safety check of ./safe-regex.ts (checked
 *                  when saved and again here: an unsafe pattern never matches), and values longer
 *                  than 1024 characters never match, so evaluation time stays bounded.
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
import { compilePattern, fullMatch } from './safe-regex';

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
  const caseInsensitive = isCaseInsensitiveAttribute(rule.attribute);
  const fold = caseInsensitive ? lower : identity;
  const values = attributeValues(attributes, rule.attribute);
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

/** The roles a user with these attributes gets under `mapping`, and the rules that gave them. */
export function evaluate(mapping: RoleMapping, attributes: Attributes): Evaluation {
  const matched = mapping.rules.filter((rule) => ruleMatches(rule, attributes));
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
