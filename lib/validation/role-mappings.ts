import { z } from 'zod';
import { checkPattern, estimateProgramSize, MAX_PATTERN_LENGTH } from '../provisioning/pattern';
import { ROLE_NAME, roleNameSchema } from './tenants';

/**
 * Input schemas for attribute-to-role mappings (`PUT …/role-mappings`, `POST …/role-mappings/preview`).
 * The semantics of rules live in lib/provisioning/mapping.ts.
 *
 * `ruleSchema` / `roleMappingInputSchema` check shape, operators, values and pattern safety;
 * `roleMappingSchemaFor(tenant.roles)` additionally checks every role against the tenant's role set.
 * Issue paths are relative to the body: `rules.2.value`, `rules.0.role`, `defaultRole`.
 */

export const RULE_OPERATORS = ['equals', 'contains', 'in', 'matches', 'exists'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

export const MAX_RULES = 200;
/** Longest rule value or list item (role names follow ROLE_NAME in ./tenants). */
export const MAX_STRING_LENGTH = 256;
export const MAX_ATTRIBUTE_NAME_LENGTH = 512;
/** Most values an `in` rule may list. */
export const MAX_IN_VALUES = 200;
/** Preview input limits (a sample assertion). */
export const MAX_PREVIEW_ATTRIBUTES = 100;
export const MAX_PREVIEW_VALUES = 500;
export const MAX_PREVIEW_VALUE_LENGTH = 1024;
/**
 * Most instructions the `matches` patterns of one mapping may compile to in all (each at most
 * 2,000, lib/provisioning/pattern.ts): bounds what saving, and a sign-in with nothing cached,
 * spend compiling (about 0.1 s at worst). Everyday patterns compile to 10–50 instructions.
 */
export const MAX_MAPPING_PROGRAM = 20_000;

const OPERATOR_LIST = RULE_OPERATORS.join(', ');

/** Only the "wrong type" message is replaced; other issues (unknown keys…) keep zod's own text. */
const typeError =
  (message: string) =>
  (issue: { code?: string }): string | undefined =>
    issue.code === 'invalid_type' ? message : undefined;

const attributeNameSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(MAX_ATTRIBUTE_NAME_LENGTH, `must be at most ${MAX_ATTRIBUTE_NAME_LENGTH} characters`)
  .refine((s) => s.trim() === s, 'must not start or end with whitespace');

function roleSchema(roles?: ReadonlySet<string>) {
  const base = roleNameSchema;
  if (!roles) return base;
  const known = [...roles].sort().join(', ') || '(none)';
  // A malformed name already has an issue; one per field is enough.
  const ok = (r: string) => !ROLE_NAME.test(r) || roles.has(r);
  return base.refine(ok, { error: (i) => `unknown role "${String(i.input)}"; this tenant's roles are: ${known}` });
}

/** Issues for a single string value: empty, blank, too long. */
function stringProblem(s: string): string | null {
  if (s.length === 0) return 'must not be empty';
  if (s.trim().length === 0) return 'must not be blank';
  if (s.length > MAX_STRING_LENGTH) return `must be at most ${MAX_STRING_LENGTH} characters`;
  return null;
}

type RawRule = { operator: RuleOperator; value?: string | string[] };

/** The value rules that depend on the operator (all reported at `value` or `value.<i>`). */
function checkValue(rule: RawRule, ctx: z.RefinementCtx) {
  const { operator, value } = rule;
  const issue = (message: string, path: PropertyKey[] = ['value']) =>
    ctx.addIssue({ code: 'custom', message, path, input: value });

  switch (operator) {
    case 'exists':
      if (value !== undefined) issue('must be omitted for the "exists" operator');
      return;
    case 'equals':
    case 'contains':
    case 'matches': {
      if (value === undefined) return issue(`is required for the "${operator}" operator`);
      if (typeof value !== 'string') return issue(`must be a single string for the "${operator}" operator`);
      const p = stringProblem(value);
      if (p) return issue(p);
      if (operator === 'matches') {
        const check = checkPattern(value);
        if (!check.ok) issue(check.reason);
      }
      return;
    }
    case 'in': {
      if (value === undefined) return issue('is required for the "in" operator');
      if (!Array.isArray(value)) return issue('must be an array of strings for the "in" operator');
      if (value.length === 0) return issue('must list at least one value');
      if (value.length > MAX_IN_VALUES) return issue(`must list at most ${MAX_IN_VALUES} values`);
      value.forEach((v, i) => {
        const p = stringProblem(v);
        if (p) issue(p, ['value', i]);
      });
      return;
    }
  }
}

function buildRuleSchema(roles?: ReadonlySet<string>) {
  return z
    .strictObject(
      {
        attribute: attributeNameSchema,
        operator: z.enum(RULE_OPERATORS, { error: `must be one of: ${OPERATOR_LIST}` }),
        value: z
          .union([z.string(), z.array(z.string({ error: 'must be a string' }))], {
            error: 'must be a string or an array of strings',
          })
          .optional(),
        role: roleSchema(roles),
      },
      { error: typeError('must be an object') },
    )
    .superRefine(checkValue);
}

const tooComplexInAll = (total: number, estimated: boolean) =>
  `the patterns of this mapping are too complex in all: together they may compile to at most ${MAX_MAPPING_PROGRAM} instructions (this one brings them to ${estimated ? 'about ' : ''}${total}); simplify or remove some`;

/**
 * Before any pattern is compiled: the sizes of all of them estimated without compiling
 * (lib/provisioning/pattern.ts), so that a body of 200 large patterns is refused in
 * microseconds rather than after compiling them all (about 2 s). The estimate is an upper
 * bound, so twice the cap leaves room; {@link checkTotalProgram} then checks the compiled sizes.
 */
function estimateTotalProgram(input: unknown, ctx: z.RefinementCtx): unknown {
  if (!Array.isArray(input)) return input;
  let total = 0;
  input.forEach((r: unknown, i) => {
    const rule = r as Partial<RawRule> | null;
    if (!rule || typeof rule !== 'object' || rule.operator !== 'matches' || typeof rule.value !== 'string' || rule.value.length > MAX_PATTERN_LENGTH) return;
    const before = total;
    total += estimateProgramSize(rule.value);
    if (before <= 2 * MAX_MAPPING_PROGRAM && total > 2 * MAX_MAPPING_PROGRAM) {
      ctx.addIssue({ code: 'custom', path: [i, 'value'], input: rule.value, message: tooComplexInAll(total, true) });
    }
  });
  return input;
}

/** The mapping's patterns in all: the first rule past {@link MAX_MAPPING_PROGRAM} gets the issue. */
function checkTotalProgram(rules: readonly RawRule[], ctx: z.RefinementCtx) {
  let total = 0;
  rules.forEach((r, i) => {
    if (r.operator !== 'matches' || typeof r.value !== 'string') return;
    const check = checkPattern(r.value);
    if (!check.ok) return;
    const before = total;
    total += check.size;
    if (before <= MAX_MAPPING_PROGRAM && total > MAX_MAPPING_PROGRAM) {
      ctx.addIssue({
        code: 'custom',
        path: [i, 'value'],
        input: r.value,
        message: tooComplexInAll(total, false),
      });
    }
  });
}

function buildRoleMappingSchema(roles?: ReadonlySet<string>) {
  return z.strictObject(
    {
      rules: z.preprocess(
        estimateTotalProgram,
        z
          .array(buildRuleSchema(roles), { error: 'must be an array' })
          .max(MAX_RULES, `must hold at most ${MAX_RULES} rules`)
          .superRefine(checkTotalProgram),
      ),
      defaultRole: roleSchema(roles).nullable().optional(),
    },
    { error: typeError('must be an object') },
  );
}

/** One rule, shape and values only (roles are not checked against a tenant). */
export const ruleSchema = buildRuleSchema();

/** The `PUT …/role-mappings` body, without the tenant role check; see {@link roleMappingSchemaFor}. */
export const roleMappingInputSchema = buildRoleMappingSchema();

/**
 * The `PUT …/role-mappings` body for a given tenant: as {@link roleMappingInputSchema}, and every
 * `rules.<i>.role` and `defaultRole` must be one of `tenantRoles`. All problems are reported
 * together, so a body with a bad operator in one rule and an unknown role in another gets both.
 */
export function roleMappingSchemaFor(tenantRoles: readonly string[]) {
  return buildRoleMappingSchema(new Set(tenantRoles));
}

const attributeValueSchema = z
  .string({ error: 'must be a string' })
  .max(MAX_PREVIEW_VALUE_LENGTH, `must be at most ${MAX_PREVIEW_VALUE_LENGTH} characters`);

/** The `POST …/role-mappings/preview` body: a sample of a user's IdP attributes. */
export const previewInputSchema = z.strictObject(
  {
    attributes: z
      .record(
        attributeNameSchema,
        z.union([attributeValueSchema, z.array(attributeValueSchema).max(MAX_PREVIEW_VALUES, `must hold at most ${MAX_PREVIEW_VALUES} values`)], {
          error: 'must be a string or an array of strings',
        }),
        {
          error: (issue) =>
            issue.code === 'invalid_key'
              ? `attribute names must be 1–${MAX_ATTRIBUTE_NAME_LENGTH} characters, without surrounding whitespace`
              : typeError('must be an object mapping attribute names to values')(issue),
        },
      )
      .refine((a) => Object.keys(a).length <= MAX_PREVIEW_ATTRIBUTES, `must hold at most ${MAX_PREVIEW_ATTRIBUTES} attributes`),
  },
  { error: typeError('must be an object') },
);

/** A stored mapping as returned by `GET`/`PUT …/role-mappings`. */
export const roleMappingSchema = z.object({
  rules: z.array(ruleSchema),
  defaultRole: z.string().nullable(),
});

/** The preview answer: the roles the user would get, and the rules that matched (in rule order). */
export const previewResultSchema = z.object({
  roles: z.array(z.string()),
  matched: z.array(ruleSchema),
});

export type Rule = z.infer<typeof ruleSchema>;
/** A mapping as stored and evaluated: `defaultRole` null means "no role when nothing matches". */
export type RoleMapping = { rules: Rule[]; defaultRole: string | null };
export type RoleMappingInput = z.infer<typeof roleMappingInputSchema>;
export type PreviewInput = z.infer<typeof previewInputSchema>;
export type PreviewResult = z.infer<typeof previewResultSchema>;
