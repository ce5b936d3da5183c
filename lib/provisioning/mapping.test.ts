import { describe, expect, it } from 'vitest';
import {
  MAX_RULES,
  previewInputSchema,
  roleMappingInputSchema,
  roleMappingSchemaFor,
  ruleSchema,
  type Rule,
} from '../validation/role-mappings';
import { attributeValues, diffRoles, evaluate, isCaseInsensitiveAttribute, ruleMatches, type Attributes } from './mapping';

const rule = (r: Partial<Rule> & Pick<Rule, 'operator'>): Rule => ({ attribute: 'groups', role: 'member', ...r });

describe('ruleMatches: operators', () => {
  const cases: Array<[string, Rule, Attributes, boolean]> = [
    // equals: single-valued equality
    ['equals, single string', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: 'Sales' }, true],
    ['equals, one-element list', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: ['Sales'] }, true],
    ['equals, repeated same value', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: ['Sales', 'Sales'] }, true],
    ['equals, other value', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: 'Support' }, false],
    ['equals, multi-valued never equals', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: ['Sales', 'Support'] }, false],
    ['equals, empty values ignored', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: ['', 'Sales'] }, true],
    ['equals, prefix is not equal', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: 'Sales EMEA' }, false],
    ['equals, case-sensitive', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), { department: 'sales' }, false],
    ['equals, missing attribute', rule({ attribute: 'department', operator: 'equals', value: 'Sales' }), {}, false],
    // contains: membership
    ['contains, in list', rule({ operator: 'contains', value: 'Admins' }), { groups: ['Users', 'Admins'] }, true],
    ['contains, single value', rule({ operator: 'contains', value: 'Admins' }), { groups: 'Admins' }, true],
    ['contains, not a substring match', rule({ operator: 'contains', value: 'Admin' }), { groups: ['Admins'] }, false],
    ['contains, case-sensitive', rule({ operator: 'contains', value: 'Admins' }), { groups: ['admins'] }, false],
    ['contains, empty list', rule({ operator: 'contains', value: 'Admins' }), { groups: [] }, false],
    ['contains, missing', rule({ operator: 'contains', value: 'Admins' }), { department: 'Admins' }, false],
    // in
    ['in, one of several', rule({ operator: 'in', value: ['Eng', 'Ops'] }), { groups: ['Sales', 'Ops'] }, true],
    ['in, single value', rule({ attribute: 'department', operator: 'in', value: ['Eng', 'Ops'] }), { department: 'Eng' }, true],
    ['in, none', rule({ operator: 'in', value: ['Eng', 'Ops'] }), { groups: ['Sales'] }, false],
    ['in, case-sensitive', rule({ operator: 'in', value: ['Eng'] }), { groups: ['eng'] }, false],
    ['in, missing', rule({ operator: 'in', value: ['Eng'] }), {}, false],
    // exists
    ['exists, a value', rule({ attribute: 'employeeId', operator: 'exists' }), { employeeId: '42' }, true],
    ['exists, among empty ones', rule({ attribute: 'employeeId', operator: 'exists' }), { employeeId: ['', '42'] }, true],
    ['exists, empty string', rule({ attribute: 'employeeId', operator: 'exists' }), { employeeId: '' }, false],
    ['exists, empty list', rule({ attribute: 'employeeId', operator: 'exists' }), { employeeId: [] }, false],
    ['exists, missing', rule({ attribute: 'employeeId', operator: 'exists' }), { other: 'x' }, false],
    ['exists, inherited name is not an attribute', rule({ attribute: 'constructor', operator: 'exists' }), {}, false],
    ['exists, __proto__ is not an attribute', rule({ attribute: '__proto__', operator: 'exists' }), {}, false],
    // matches: anchored, case-sensitive
    ['matches, full match', rule({ operator: 'matches', value: 'eng-[a-z]+' }), { groups: ['sales', 'eng-platform'] }, true],
    ['matches, anchored at start', rule({ operator: 'matches', value: 'eng-[a-z]+' }), { groups: 'x-eng-platform' }, false],
    ['matches, anchored at end', rule({ operator: 'matches', value: 'eng-[a-z]+' }), { groups: 'eng-platform-2' }, false],
    ['matches, alternation is anchored as a whole', rule({ operator: 'matches', value: 'admin|owner' }), { groups: 'co-owner' }, false],
    ['matches, alternation', rule({ operator: 'matches', value: 'admin|owner' }), { groups: 'owner' }, true],
    ['matches, case-sensitive', rule({ operator: 'matches', value: 'Eng-.*' }), { groups: 'eng-x' }, false],
    ['matches, explicit anchors are harmless', rule({ operator: 'matches', value: '^eng$' }), { groups: 'eng' }, true],
    ['matches, empty value ignored', rule({ operator: 'matches', value: '.*' }), { groups: [''] }, false],
    ['matches, missing', rule({ operator: 'matches', value: '.*' }), {}, false],
    ['matches, a nested quantifier is just a pattern under RE2', rule({ operator: 'matches', value: '(a+)+' }), { groups: 'aaa' }, true],
    ['matches, invalid pattern never matches', rule({ operator: 'matches', value: '(a' }), { groups: '(a' }, false],
    ['matches, a pattern valid only once wrapped never matches', rule({ operator: 'matches', value: 'a)|(b' }), { groups: 'a' }, false],
    ['matches, backreference (not RE2) never matches', rule({ operator: 'matches', value: '(a)\\1' }), { groups: 'aa' }, false],
    ['matches, a long value is matched whole (the budget counts it)', rule({ operator: 'matches', value: 'a+' }), { groups: 'a'.repeat(4096) }, true],
    ['matches, no false match from a cut value', rule({ operator: 'matches', value: 'a+' }), { groups: 'a'.repeat(2000) + '!' }, false],
    // attribute names are exact
    ['name is case-sensitive', rule({ operator: 'contains', value: 'Admins' }), { Groups: ['Admins'] }, false],
    ['full SAML name', rule({ attribute: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', operator: 'contains', value: 'g1' }), { 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['g1'] }, true],
    ['no aliasing of group claims', rule({ operator: 'contains', value: 'g1' }), { memberOf: ['g1'] }, false],
    // malformed rules (not validated) never match
    ['unknown operator', { attribute: 'groups', operator: 'startsWith', value: 'a', role: 'r' } as unknown as Rule, { groups: 'abc' }, false],
    ['equals with a list value', rule({ operator: 'equals', value: ['a'] }), { groups: 'a' }, false],
    ['in with a string value', rule({ operator: 'in', value: 'a' }), { groups: 'a' }, false],
    ['contains without value', rule({ operator: 'contains' }), { groups: 'a' }, false],
  ];
  it.each(cases)('%s', (_name, r, attrs, expected) => {
    expect(ruleMatches(r, attrs)).toBe(expected);
  });
});

describe('ruleMatches: email and domain attributes compare case-insensitively (not matches)', () => {
  const cases: Array<[string, Rule, Attributes, boolean]> = [
    ['email equals', rule({ attribute: 'email', operator: 'equals', value: 'jane@example.com' }), { email: 'Jane@Example.COM' }, true],
    ['mail contains', rule({ attribute: 'mail', operator: 'contains', value: 'JANE@example.com' }), { mail: ['jane@EXAMPLE.com'] }, true],
    ['domain in', rule({ attribute: 'domain', operator: 'in', value: ['Example.com'] }), { domain: 'EXAMPLE.COM' }, true],
    ['but matches stays case-sensitive, even for emails (contract)', rule({ attribute: 'emailaddress', operator: 'matches', value: '.*@example\\.com' }), { emailaddress: 'Jane@EXAMPLE.com' }, false],
    ['a case-sensitive email pattern still matches its own spelling', rule({ attribute: 'email', operator: 'matches', value: '[a-z]+@example\\.com' }), { email: 'jane@example.com' }, true],
    ['SAML email claim', rule({ attribute: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', operator: 'equals', value: 'a@b.co' }), { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'A@B.CO' }, true],
    ['mail OID', rule({ attribute: 'urn:oid:0.9.2342.19200300.100.1.3', operator: 'contains', value: 'a@b.co' }), { 'urn:oid:0.9.2342.19200300.100.1.3': ['A@b.co'] }, true],
    ['Email (name case) still an email attribute', rule({ attribute: 'Email', operator: 'equals', value: 'a@b.co' }), { Email: 'A@B.co' }, true],
    ['but lookup stays exact', rule({ attribute: 'Email', operator: 'equals', value: 'a@b.co' }), { email: 'a@b.co' }, false],
    ['email equals, two spellings of one address are one value', rule({ attribute: 'email', operator: 'equals', value: 'a@b.co' }), { email: ['a@b.co', 'A@B.CO'] }, true],
    ['email still needs the whole value', rule({ attribute: 'email', operator: 'equals', value: 'jane@example.com' }), { email: 'jane@example.com.evil.io' }, false],
    ['other attributes stay case-sensitive', rule({ attribute: 'username', operator: 'equals', value: 'jane' }), { username: 'Jane' }, false],
    ['non-email regex stays case-sensitive', rule({ attribute: 'upn', operator: 'matches', value: '.*@example\\.com' }), { upn: 'jane@EXAMPLE.com' }, false],
  ];
  it.each(cases)('%s', (_name, r, attrs, expected) => {
    expect(ruleMatches(r, attrs)).toBe(expected);
  });

  it('classifies names', () => {
    expect(['email', 'EMAIL', 'mail', 'emailAddress', 'domain'].map(isCaseInsensitiveAttribute)).toEqual([true, true, true, true, true]);
    expect(['groups', 'upn', 'username', 'email_verified', 'emails'].map(isCaseInsensitiveAttribute)).toEqual([false, false, false, false, false]);
  });
});

describe('attributeValues', () => {
  it.each([
    [{ a: 'x' }, ['x']],
    [{ a: ['x', '', 'y'] }, ['x', 'y']],
    [{ a: '' }, []],
    [{}, []],
    [{ a: [1, null, 'x'] as unknown as string[] }, ['x']],
  ])('%j', (attrs, expected) => {
    expect(attributeValues(attrs, 'a')).toEqual(expected);
  });
});

describe('evaluate', () => {
  const rules: Rule[] = [
    { attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' },
    { attribute: 'department', operator: 'in', value: ['Eng', 'Design'], role: 'editor' },
    { attribute: 'groups', operator: 'matches', value: 'eng-.*', role: 'editor' },
    { attribute: 'email', operator: 'matches', value: '.*@contractor\\.example', role: 'viewer' },
  ];
  const cases: Array<[string, Attributes, string | null, string[], number[]]> = [
    ['no match gives the default role', { groups: ['Users'] }, 'member', ['member'], []],
    ['no match and null default gives no role', { groups: ['Users'] }, null, [], []],
    ['no attributes at all', {}, 'member', ['member'], []],
    ['one rule', { groups: ['Admins'] }, 'member', ['admin'], [0]],
    ['default is not added when a rule matches', { department: 'Eng' }, 'member', ['editor'], [1]],
    ['union of several rules, sorted', { groups: ['eng-core', 'Admins'], email: 'x@contractor.example' }, 'member', ['admin', 'editor', 'viewer'], [0, 2, 3]],
    ['same role from two rules appears once', { department: 'Design', groups: 'eng-ui' }, null, ['editor'], [1, 2]],
  ];
  it.each(cases)('%s', (_name, attrs, defaultRole, roles, matched) => {
    const result = evaluate({ rules, defaultRole }, attrs);
    expect(result.roles).toEqual(roles);
    expect(result.matched).toEqual(matched.map((i) => rules[i]));
  });

  it('returns matched rules in rule order, whatever the role order', () => {
    const rs: Rule[] = [
      { attribute: 'a', operator: 'exists', role: 'zeta' },
      { attribute: 'a', operator: 'exists', role: 'alpha' },
    ];
    const result = evaluate({ rules: rs, defaultRole: null }, { a: '1' });
    expect(result.matched).toEqual(rs);
    expect(result.roles).toEqual(['alpha', 'zeta']);
  });

  it('an empty rule list always gives the default', () => {
    expect(evaluate({ rules: [], defaultRole: 'viewer' }, { groups: 'Admins' })).toEqual({ roles: ['viewer'], matched: [] });
  });

  it('accepts parsed preview input as attributes', () => {
    const body = previewInputSchema.parse({ attributes: { groups: ['Admins'], email: 'a@b.co' } });
    expect(evaluate({ rules, defaultRole: null }, body.attributes).roles).toEqual(['admin']);
  });

  it('runs what the old checker refused as catastrophic, fast', () => {
    const rules: Rule[] = ['(a+)+$', '(a|a)*b', '(.*a){20}', '.*.*.*x'].map((value) => ({ attribute: 'groups', operator: 'matches', value, role: 'admin' }));
    const start = performance.now();
    const result = evaluate({ rules, defaultRole: null }, { groups: 'a'.repeat(200) + '!' });
    expect(result).toEqual({ roles: [], matched: [] });
    expect(evaluate({ rules, defaultRole: null }, { groups: 'a'.repeat(30) }).roles).toEqual(['admin']);
    expect(performance.now() - start).toBeLessThan(500);
  });
});

describe('diffRoles', () => {
  it.each([
    [[], [], [], []],
    [['member'], ['admin', 'member'], ['admin'], []],
    [['admin', 'member'], ['member'], [], ['admin']],
    [['b', 'a', 'a'], ['c', 'c', 'a'], ['c'], ['b']],
    [['x'], ['x'], [], []],
  ])('%j → %j', (before, after, added, removed) => {
    expect(diffRoles(before, after)).toEqual({ added, removed });
  });
});

// ---------------------------------------------------------------------------------------------
// Validation (lib/validation/role-mappings.ts)

const TENANT_ROLES = ['admin', 'editor', 'member', 'viewer'];
const good: Rule = { attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' };

/** Issue paths and messages, as the API reports them (`rules.2.value`). */
function issues(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } } }, body: unknown) {
  const r = schema.safeParse(body);
  return r.success ? [] : r.error!.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
const paths = (list: Array<{ path: string }>) => list.map((i) => i.path).sort();

describe('validation: accepted input', () => {
  it.each<[string, unknown]>([
    ['every operator', {
      rules: [
        { attribute: 'department', operator: 'equals', value: 'Sales', role: 'member' },
        { attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' },
        { attribute: 'groups', operator: 'in', value: ['Eng', 'Design'], role: 'editor' },
        { attribute: 'email', operator: 'matches', value: '.*@example\\.com', role: 'viewer' },
        { attribute: 'employeeId', operator: 'exists', role: 'member' },
      ],
      defaultRole: 'member',
    }],
    ['no rules, null default', { rules: [], defaultRole: null }],
    ['patterns the old backtracking checker refused', {
      rules: ['(a+)+$', '(a|a)*', '(.*a){20}', '.*.*.*x', '(?:[a-z]|a|aa|aaa){1,200}z'].map((value) => ({ attribute: 'groups', operator: 'matches', value, role: 'admin' })),
    }],
    ['default omitted', { rules: [good] }],
    ['full SAML attribute name', { rules: [{ ...good, attribute: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups' }] }],
    ['limits exactly', {
      rules: Array.from({ length: MAX_RULES }, () => ({ ...good, attribute: 'a'.repeat(512), value: 'v'.repeat(256) })),
    }],
  ])('%s', (_name, body) => {
    expect(issues(roleMappingSchemaFor(TENANT_ROLES), body)).toEqual([]);
  });

  it('keeps rule fields as sent', () => {
    const parsed = roleMappingInputSchema.parse({ rules: [good], defaultRole: null });
    expect(parsed).toEqual({ rules: [good], defaultRole: null });
  });
});

describe('validation: error paths', () => {
  // Each bad rule sits at index 2, after two good ones, so paths read rules.2.<field>.
  const withRule = (r: unknown) => ({ rules: [good, good, r], defaultRole: null });
  const cases: Array<[string, unknown, string[], RegExp?]> = [
    ['unknown operator', withRule({ ...good, operator: 'startsWith' }), ['rules.2.operator'], /must be one of/],
    ['missing operator', withRule({ attribute: 'groups', value: 'x', role: 'admin' }), ['rules.2.operator']],
    ['missing attribute', withRule({ operator: 'exists', role: 'admin' }), ['rules.2.attribute']],
    ['empty attribute', withRule({ ...good, attribute: '' }), ['rules.2.attribute'], /empty/],
    ['attribute too long', withRule({ ...good, attribute: 'a'.repeat(513) }), ['rules.2.attribute'], /512/],
    ['attribute with surrounding space', withRule({ ...good, attribute: 'groups ' }), ['rules.2.attribute'], /whitespace/],
    ['missing role', withRule({ attribute: 'groups', operator: 'exists' }), ['rules.2.role']],
    ['empty role', withRule({ ...good, role: '' }), ['rules.2.role']],
    ['unknown role', withRule({ ...good, role: 'superuser' }), ['rules.2.role'], /unknown role "superuser"/],
    ['role of another case', withRule({ ...good, role: 'Admin' }), ['rules.2.role'], /unknown role/],
    ['equals without value', withRule({ ...good, operator: 'equals', value: undefined }), ['rules.2.value'], /required/],
    ['equals with empty value', withRule({ ...good, operator: 'equals', value: '' }), ['rules.2.value'], /empty/],
    ['equals with blank value', withRule({ ...good, operator: 'equals', value: '   ' }), ['rules.2.value'], /blank/],
    ['equals with list value', withRule({ ...good, operator: 'equals', value: ['a'] }), ['rules.2.value'], /single string/],
    ['contains with too long value', withRule({ ...good, value: 'v'.repeat(257) }), ['rules.2.value'], /256/],
    ['contains with number value', withRule({ ...good, value: 3 }), ['rules.2.value']],
    ['in with a string', withRule({ ...good, operator: 'in', value: 'Eng' }), ['rules.2.value'], /array/],
    ['in with empty list', withRule({ ...good, operator: 'in', value: [] }), ['rules.2.value'], /at least one/],
    ['in with an empty item', withRule({ ...good, operator: 'in', value: ['Eng', ''] }), ['rules.2.value.1'], /empty/],
    ['in with a too long item', withRule({ ...good, operator: 'in', value: ['v'.repeat(257)] }), ['rules.2.value.0'], /256/],
    ['in with too many items', withRule({ ...good, operator: 'in', value: Array.from({ length: 201 }, (_, i) => `g${i}`) }), ['rules.2.value'], /at most 200/],
    ['in without value', withRule({ ...good, operator: 'in', value: undefined }), ['rules.2.value'], /required/],
    ['exists with a value', withRule({ ...good, operator: 'exists', value: 'x' }), ['rules.2.value'], /omitted/],
    ['matches, invalid pattern', withRule({ ...good, operator: 'matches', value: '(eng' }), ['rules.2.value'], /invalid regular expression: missing closing \)/],
    ['matches, valid only once wrapped', withRule({ ...good, operator: 'matches', value: 'a)|(b' }), ['rules.2.value'], /invalid regular expression/],
    ['matches, backreference', withRule({ ...good, operator: 'matches', value: '(a)\\1' }), ['rules.2.value'], /invalid regular expression: invalid escape/],
    ['matches, lookahead', withRule({ ...good, operator: 'matches', value: '(?=a)a' }), ['rules.2.value'], /invalid regular expression/],
    ['matches, too complex', withRule({ ...good, operator: 'matches', value: '.{1,1000}.{1,1000}' }), ['rules.2.value'], /too complex.*2000 instructions/],
    ['matches, over 200 characters', withRule({ ...good, operator: 'matches', value: 'a'.repeat(201) }), ['rules.2.value'], /200/],
    ['matches, empty', withRule({ ...good, operator: 'matches', value: '' }), ['rules.2.value'], /empty/],
    ['unknown key in a rule', withRule({ ...good, values: ['x'] }), ['rules.2'], /values/],
    ['rule not an object', withRule('groups contains x'), ['rules.2'], /object/],
    ['rules not an array', { rules: { 0: good } }, ['rules'], /array/],
    ['rules missing', { defaultRole: 'member' }, ['rules']],
    ['too many rules', { rules: Array.from({ length: MAX_RULES + 1 }, () => good) }, ['rules'], /at most 200/],
    ['unknown default role', { rules: [], defaultRole: 'owner' }, ['defaultRole'], /unknown role "owner"/],
    ['empty default role', { rules: [], defaultRole: '' }, ['defaultRole'], /empty/],
    ['unknown top-level key', { rules: [], mode: 'replace' }, [''], /mode/],
    ['body not an object', ['rules'], [''], /object/],
  ];
  it.each(cases)('%s', (_name, body, expectedPaths, message) => {
    const found = issues(roleMappingSchemaFor(TENANT_ROLES), body);
    expect(paths(found)).toEqual(expectedPaths);
    if (message) expect(found.map((i) => i.message).join(' | ')).toMatch(message);
  });

  it('reports every problem of a body at once', () => {
    const body = {
      rules: [
        { ...good, role: 'ghost' },
        { ...good, operator: 'matches', value: '(a|a' },
        good,
        { ...good, operator: 'in', value: ['ok', ''], role: 'root' },
      ],
      defaultRole: 'nobody',
    };
    expect(paths(issues(roleMappingSchemaFor(TENANT_ROLES), body))).toEqual([
      'defaultRole',
      'rules.0.role',
      'rules.1.value',
      'rules.3.role',
      'rules.3.value.1',
    ]);
  });

  it('the tenant-free schemas do not check roles', () => {
    expect(issues(roleMappingInputSchema, { rules: [{ ...good, role: 'anything' }], defaultRole: 'whatever' })).toEqual([]);
    expect(issues(ruleSchema, { ...good, role: 'anything' })).toEqual([]);
    expect(paths(issues(ruleSchema, { ...good, operator: 'exists' }))).toEqual(['value']);
  });

  it('a tenant without roles accepts no role at all', () => {
    expect(paths(issues(roleMappingSchemaFor([]), { rules: [good], defaultRole: 'member' }))).toEqual(['defaultRole', 'rules.0.role']);
    expect(issues(roleMappingSchemaFor([]), { rules: [], defaultRole: null })).toEqual([]);
  });
});

describe('validation: the patterns of a mapping in all', () => {
  const matches = (value: string) => ({ attribute: 'groups', operator: 'matches', value, role: 'admin' });

  it('at most 20,000 compiled instructions: the first rule past it gets the issue', () => {
    // Each compiles to about 1,605 instructions: 12 fit, the 13th brings them over 20,000.
    const rules = Array.from({ length: 13 }, (_, i) => matches(`(?:[a-z]|a|aa|aaa){1,200}z${i}`));
    expect(issues(roleMappingInputSchema, { rules: rules.slice(0, 12) })).toEqual([]);
    const found = issues(roleMappingInputSchema, { rules });
    expect(paths(found)).toEqual(['rules.12.value']);
    expect(found[0].message).toMatch(/too complex in all: together they may compile to at most 20000 instructions \(this one brings them to 2\d{4}\)/);
  });

  it('200 large patterns are refused from their estimated size, without compiling them all', () => {
    const rules = Array.from({ length: 200 }, (_, i) => matches(`[\\s\\S]{1,${995 - i}}y`));
    const start = performance.now();
    const found = issues(roleMappingInputSchema, { rules });
    expect(performance.now() - start).toBeLessThan(200); // compiling them would take seconds
    expect(paths(found)).toEqual(['rules.20.value']);
    expect(found[0].message).toMatch(/too complex in all.*about \d+/);
  });
});

describe('validation: preview input', () => {
  it.each<[string, unknown, string[]]>([
    ['strings and lists', { attributes: { groups: ['a', 'b'], email: 'a@b.co', empty: [] } }, []],
    ['no attributes', { attributes: {} }, []],
    ['value at the length cap', { attributes: { dn: 'x'.repeat(1024) } }, []],
    ['attributes missing', {}, ['attributes']],
    ['attributes not an object', { attributes: ['groups'] }, ['attributes']],
    ['number value', { attributes: { groups: 3 } }, ['attributes.groups']],
    ['list with a number', { attributes: { groups: ['a', 3] } }, ['attributes.groups']],
    ['value too long', { attributes: { dn: 'x'.repeat(1025) } }, ['attributes.dn']],
    ['empty attribute name', { attributes: { '': 'x' } }, ['attributes.']],
    ['too many attributes', { attributes: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`a${i}`, 'x'])) }, ['attributes']],
    ['unknown key', { attributes: {}, rules: [] }, ['']],
  ])('%s', (_name, body, expected) => {
    expect(paths(issues(previewInputSchema, body))).toEqual(expected);
  });
});
