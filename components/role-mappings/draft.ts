/**
 * The role-mapping editor's model, without React: the rules as the admin edits them (text
 * fields), their conversion to the API's input shape, and validation errors keyed for display.
 *
 * - `in` values are typed as a comma-separated list. Items that contain a comma or a double
 *   quote (LDAP group DNs such as `CN=Admins,OU=Groups,DC=acme,DC=com`) are written in double
 *   quotes, with `""` for a quote inside: `"CN=Admins,OU=Groups", Owners`.
 * - Attribute names and single values are trimmed; list items are trimmed unless quoted.
 * - Errors come as `path → message` (`rules.2.value`, `rules.2.value.1`, `defaultRole`), from the
 *   client-side check with the server's own schema or from the server action. They are re-keyed
 *   from the rule's position to the rule's stable key, so they stay on their rule when rules move.
 */
import type { z } from 'zod';
import { RULE_OPERATORS, type Rule, type RoleMapping, type RuleOperator } from '@/lib/validation/role-mappings';

export type DraftRule = { key: string; attribute: string; operator: RuleOperator; value: string; role: string };
/** `defaultRole` '' means "No role". */
export type Draft = { rules: DraftRule[]; defaultRole: string };

/** A rule as sent to the server (value omitted for `exists`). */
export type RuleInput = { attribute: string; operator: RuleOperator; value?: string | string[]; role: string };
export type MappingInput = { rules: RuleInput[]; defaultRole: string | null };

export const OPERATOR_LABELS: Record<RuleOperator, string> = {
  equals: 'equals',
  contains: 'contains',
  in: 'in',
  matches: 'matches',
  exists: 'exists',
};
export const OPERATORS = RULE_OPERATORS;

/** Splits a comma-separated list; "double-quoted" items may hold commas, `""` is a quote. Empty items are dropped. */
export function parseValueList(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i <= n) {
    while (i < n && /\s/.test(text[i])) i++;
    let item = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) break; // unterminated: take the rest as it is
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            item += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        item += text[i++];
      }
      // Anything between the closing quote and the next comma is kept (trimmed), not lost.
      let rest = '';
      while (i < n && text[i] !== ',') rest += text[i++];
      item += rest.trim();
      if (item !== '') out.push(item);
    } else {
      while (i < n && text[i] !== ',') item += text[i++];
      item = item.trim();
      if (item !== '') out.push(item);
    }
    i++; // the comma (or past the end)
  }
  return out;
}

/** The inverse of {@link parseValueList}: items joined with ", ", quoted where needed. */
export function formatValueList(values: readonly string[]): string {
  return values
    .map((v) => (/[",]/.test(v) || v.trim() !== v || v === '' ? `"${v.replaceAll('"', '""')}"` : v))
    .join(', ');
}

/** A stored rule as editor fields. */
export function draftRuleOf(rule: Rule, key: string): DraftRule {
  const value = Array.isArray(rule.value) ? formatValueList(rule.value) : (rule.value ?? '');
  return { key, attribute: rule.attribute, operator: rule.operator, value, role: rule.role };
}

export function draftOf(mapping: RoleMapping): Draft {
  return { rules: mapping.rules.map((r, i) => draftRuleOf(r, `r${i}`)), defaultRole: mapping.defaultRole ?? '' };
}

export function ruleInputOf(r: DraftRule): RuleInput {
  const base = { attribute: r.attribute.trim(), operator: r.operator, role: r.role };
  if (r.operator === 'exists') return base;
  if (r.operator === 'in') return { ...base, value: parseValueList(r.value) };
  return { ...base, value: r.value.trim() };
}

/** What the editor sends to the server action. */
export function inputOf(draft: Draft): MappingInput {
  return { rules: draft.rules.map(ruleInputOf), defaultRole: draft.defaultRole === '' ? null : draft.defaultRole };
}

/** Issues as `path → first message`, the way lib/actions.ts `runAction` reports them. */
export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of issues) out[i.path.map(String).join('.') || 'form'] ??= i.message;
  return out;
}

export type RuleField = 'attribute' | 'operator' | 'value' | 'role' | 'rule';
export type RuleErrors = Partial<Record<RuleField, string>>;
export type DraftErrors = { rules: Record<string, RuleErrors>; defaultRole?: string; form?: string };

const RULE_PATH = /^rules\.(\d+)(?:\.(attribute|operator|value|role)(?:\.(\d+))?)?(?:\..*)?$/;

/**
 * Server/client field errors placed on the rules they belong to. `keys[i]` is the key of the rule
 * that was at position i when the draft was checked. Errors on list items (`rules.2.value.1`)
 * are shown at the value as "Item 2: …"; an error naming no field of a rule is shown on the rule.
 */
export function placeErrors(fieldErrors: Record<string, string>, keys: readonly string[], roles?: readonly string[]): DraftErrors {
  const out: DraftErrors = { rules: {} };
  for (const [path, message] of Object.entries(fieldErrors)) {
    const m = RULE_PATH.exec(path);
    if (m) {
      const key = keys[Number(m[1])];
      if (key === undefined) {
        out.form ??= `Rule ${Number(m[1]) + 1}: ${message}`;
        continue;
      }
      const field = (m[2] as RuleField | undefined) ?? 'rule';
      const text = m[3] !== undefined ? `Item ${Number(m[3]) + 1}: ${message}` : friendly(field, message, roles);
      const errs = (out.rules[key] ??= {});
      errs[field] ??= text;
    } else if (path === 'defaultRole') {
      out.defaultRole ??= friendly('role', message, roles);
    } else {
      out.form ??= path === 'form' || path === '(root)' ? message : `${path}: ${message}`;
    }
  }
  return out;
}

/** The schema's terse messages, phrased for the form where a field makes them unclear. */
function friendly(field: RuleField, message: string, _roles?: readonly string[]): string {
  if (field === 'role' && message === 'must not be empty') return 'Choose a role';
  if (field === 'attribute' && message === 'must not be empty') return 'Enter the attribute name';
  if (field === 'value' && /^is required/.test(message)) return 'Enter a value';
  if (field === 'value' && message === 'must list at least one value') return 'List at least one value, separated by commas';
  return message.charAt(0).toUpperCase() + message.slice(1);
}

export const hasErrors = (e: DraftErrors) => Boolean(e.form || e.defaultRole || Object.keys(e.rules).length);

/** Moves the item at `from` to `to` (both in range), returning a new array. */
export function move<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item);
  return next;
}

/** One line describing a rule, for the preview ("groups contains Engineering → editor"). */
export function describeRule(r: RuleInput | Rule): string {
  const v = r.value;
  const value = r.operator === 'exists' ? '' : Array.isArray(v) ? ` ${formatValueList(v)}` : ` ${v ?? ''}`;
  return `${r.attribute} ${OPERATOR_LABELS[r.operator] ?? r.operator}${value} → ${r.role}`;
}
