'use client';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Field } from '@/components/ui/field';
import { Input } from '@/components/ui/input';
import type { RuleOperator } from '@/lib/validation/role-mappings';
import { OPERATORS, type DraftRule, type RuleErrors, type RuleField } from './draft';
import { NativeSelect } from './native-select';

const VALUE_HINTS: Record<RuleOperator, string> = {
  equals: 'The attribute’s only value is exactly this.',
  contains: 'One of the attribute’s values is exactly this (for groups).',
  in: 'One of the attribute’s values is in this list. Separate values with commas; put a value that contains a comma in "double quotes".',
  matches: 'A value matches this regular expression, anchored at both ends and case-sensitive (example: .*@example\\.com).',
  exists: '',
};

export const ruleFieldId = (key: string, field: Exclude<RuleField, 'rule'>) => `rule-${key}-${field}`;
export const ruleButtonId = (key: string, which: 'up' | 'down' | 'remove') => `rule-${key}-${which}`;

/** One rule of the ordered list: a fieldset named "Rule n" with its fields, errors and move/remove buttons. */
export function RuleFields({
  rule,
  index,
  count,
  roles,
  errors,
  fired,
  attributeListId,
  onChange,
  onMove,
  onRemove,
}: {
  rule: DraftRule;
  index: number;
  count: number;
  roles: readonly string[];
  errors: RuleErrors;
  /** Whether this rule matched the preview sample (null: no sample, or the rule is left out). */
  fired: boolean | null;
  attributeListId: string;
  onChange: (patch: Partial<Omit<DraftRule, 'key'>>) => void;
  onMove: (to: number) => void;
  onRemove: () => void;
}) {
  const n = index + 1;
  const id = (f: Exclude<RuleField, 'rule'>) => ruleFieldId(rule.key, f);
  const unknownRole = rule.role !== '' && !roles.includes(rule.role);
  return (
    <fieldset className="grid gap-3 rounded-lg border border-border bg-white p-4" aria-describedby={errors.rule ? `rule-${rule.key}-error` : undefined}>
      <legend className="flex items-center gap-2 px-1 text-sm font-semibold">
        Rule {n}
        {fired === true && <Badge tone="good">matches the sample</Badge>}
      </legend>
      {errors.rule && (
        <p id={`rule-${rule.key}-error`} role="alert" className="text-xs text-destructive">
          {errors.rule}
        </p>
      )}
      <div className="grid items-start gap-3 md:grid-cols-[minmax(0,1.3fr)_9rem_minmax(0,1.5fr)_10rem]">
        <Field id={id('attribute')} label="Attribute" error={errors.attribute}>
          <Input
            value={rule.attribute}
            list={attributeListId}
            autoComplete="off"
            spellCheck={false}
            placeholder="groups"
            onChange={(e) => onChange({ attribute: e.target.value })}
          />
        </Field>
        <Field id={id('operator')} label="Operator" error={errors.operator}>
          <NativeSelect value={rule.operator} onChange={(e) => onChange({ operator: e.target.value as RuleOperator })}>
            {OPERATORS.map((op) => (
              <option key={op} value={op}>
                {op}
              </option>
            ))}
          </NativeSelect>
        </Field>
        {rule.operator === 'exists' ? (
          <div className="grid gap-1.5">
            <span className="text-sm font-medium leading-none">Value</span>
            <p className="py-2 text-xs text-muted-foreground">None: matches when the attribute is present with a value.</p>
            {errors.value && (
              <p role="alert" className="text-xs text-destructive">
                {errors.value}
              </p>
            )}
          </div>
        ) : (
          <Field id={id('value')} label={rule.operator === 'in' ? 'Values' : 'Value'} hint={VALUE_HINTS[rule.operator]} error={errors.value}>
            <Input
              value={rule.value}
              autoComplete="off"
              spellCheck={false}
              className={rule.operator === 'matches' ? 'font-mono' : undefined}
              placeholder={rule.operator === 'in' ? 'Admins, Owners' : rule.operator === 'matches' ? '.*@example\\.com' : 'Engineering'}
              onChange={(e) => onChange({ value: e.target.value })}
            />
          </Field>
        )}
        <Field id={id('role')} label="Role" error={errors.role}>
          <NativeSelect value={rule.role} onChange={(e) => onChange({ role: e.target.value })}>
            <option value="">Choose a role…</option>
            {unknownRole && <option value={rule.role}>{rule.role} (not a role of this tenant)</option>}
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </NativeSelect>
        </Field>
      </div>
      <div className="flex flex-wrap justify-end gap-2">
        <Button id={ruleButtonId(rule.key, 'up')} type="button" size="sm" variant="outline" disabled={index === 0} onClick={() => onMove(index - 1)}>
          Move up
        </Button>
        <Button id={ruleButtonId(rule.key, 'down')} type="button" size="sm" variant="outline" disabled={index === count - 1} onClick={() => onMove(index + 1)}>
          Move down
        </Button>
        <Button id={ruleButtonId(rule.key, 'remove')} type="button" size="sm" variant="outline" onClick={onRemove}>
          Remove
        </Button>
      </div>
    </fieldset>
  );
}
