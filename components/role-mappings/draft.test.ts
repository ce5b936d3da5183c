import { describe, expect, it } from 'vitest';
import { roleMappingSchemaFor } from '@/lib/validation/role-mappings';
import { draftOf, formatValueList, inputOf, issuesToFieldErrors, move, parseValueList, placeErrors, type Draft } from './draft';
import { previewDraft } from './preview';
import { parseSample, ruleInputOf } from './sample';

describe('value lists (operator "in")', () => {
  it.each<[string, string[]]>([
    ['Admins, Owners', ['Admins', 'Owners']],
    ['  Admins ,Owners,, ', ['Admins', 'Owners']],
    ['', []],
    ['"CN=Admins,OU=Groups,DC=acme", Owners', ['CN=Admins,OU=Groups,DC=acme', 'Owners']],
    ['"say ""hi""", x', ['say "hi"', 'x']],
    ['" padded ", "a,b"', [' padded ', 'a,b']],
    ['"unterminated, still kept', ['unterminated, still kept']],
    ['"quoted" tail, b', ['quotedtail', 'b']],
  ])('parses %j', (text, values) => {
    expect(parseValueList(text)).toEqual(values);
  });

  it.each<string[][]>([[['Admins', 'Owners']], [['CN=Admins,OU=Groups', 'x']], [['say "hi"']], [[' padded ']]])('round-trips %j', (values) => {
    expect(parseValueList(formatValueList(values))).toEqual(values);
  });

  it('formats plainly when nothing needs quoting', () => {
    expect(formatValueList(['Admins', 'Owners'])).toBe('Admins, Owners');
    expect(formatValueList(['a,b'])).toBe('"a,b"');
  });
});

describe('draft ↔ input', () => {
  const mapping = {
    rules: [
      { attribute: 'groups', operator: 'in' as const, value: ['CN=A,OU=G', 'Owners'], role: 'admin' },
      { attribute: 'dept', operator: 'exists' as const, role: 'member' },
      { attribute: 'email', operator: 'matches' as const, value: '.*@acme\\.com', role: 'editor' },
    ],
    defaultRole: null,
  };

  it('turns a stored mapping into fields and back unchanged', () => {
    const d = draftOf(mapping);
    expect(d.rules.map((r) => r.key)).toEqual(['r0', 'r1', 'r2']);
    expect(d.rules[0].value).toBe('"CN=A,OU=G", Owners');
    expect(d.defaultRole).toBe('');
    expect(inputOf(d)).toEqual(mapping);
  });

  it('trims names and single values, drops the value for exists, and maps "No role" to null', () => {
    const d: Draft = {
      rules: [
        { key: 'a', attribute: ' groups ', operator: 'contains', value: ' Eng ', role: 'editor' },
        { key: 'b', attribute: 'x', operator: 'exists', value: 'left over', role: 'viewer' },
      ],
      defaultRole: '',
    };
    expect(inputOf(d)).toEqual({
      rules: [
        { attribute: 'groups', operator: 'contains', value: 'Eng', role: 'editor' },
        { attribute: 'x', operator: 'exists', role: 'viewer' },
      ],
      defaultRole: null,
    });
  });

  it('moves rules', () => {
    expect(move(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(move(['a', 'b', 'c'], 0, 1)).toEqual(['b', 'a', 'c']);
  });
});

describe('placing errors on rules', () => {
  it('puts server paths on the rule that had that position, by key', () => {
    const e = placeErrors(
      {
        'rules.2.value': 'unsafe or invalid pattern: nested quantifier',
        'rules.0.role': 'must not be empty',
        'rules.1.value.1': 'must not be blank',
        'rules.1': 'Unrecognized key: "priority"',
        defaultRole: 'unknown role "wizard"; this tenant\'s roles are: admin, member',
        rules: 'must hold at most 200 rules',
      },
      ['k7', 'k3', 'k9'],
    );
    expect(e.rules).toEqual({
      k9: { value: 'Unsafe or invalid pattern: nested quantifier' },
      k7: { role: 'Choose a role' },
      k3: { value: 'Item 2: must not be blank', rule: 'Unrecognized key: "priority"' },
    });
    expect(e.defaultRole).toMatch(/^Unknown role "wizard"/);
    expect(e.form).toBe('rules: must hold at most 200 rules');
  });

  it('gives the same paths for the client-side check as the server reports', () => {
    const schema = roleMappingSchemaFor(['admin', 'member']);
    const d: Draft = {
      rules: [
        { key: 'a', attribute: 'groups', operator: 'contains', value: 'Eng', role: 'member' },
        { key: 'b', attribute: '', operator: 'matches', value: '(a+', role: '' },
        { key: 'c', attribute: 'groups', operator: 'in', value: ' , ', role: 'admin' },
      ],
      defaultRole: 'wizard',
    };
    const r = schema.safeParse(inputOf(d));
    expect(r.success).toBe(false);
    const fe = issuesToFieldErrors(r.error!.issues);
    expect(Object.keys(fe).sort()).toEqual(['defaultRole', 'rules.1.attribute', 'rules.1.role', 'rules.1.value', 'rules.2.value']);
    const placed = placeErrors(fe, ['a', 'b', 'c']);
    expect(placed.rules.a).toBeUndefined();
    expect(placed.rules.b).toMatchObject({ attribute: 'Enter the attribute name', role: 'Choose a role' });
    expect(placed.rules.b.value).toMatch(/invalid regular expression: missing closing \)/i);
    expect(placed.rules.c).toEqual({ value: 'List at least one value, separated by commas' });
  });
});

describe('preview of a draft', () => {
  const roles = ['admin', 'editor', 'member', 'viewer'];
  const draft: Draft = {
    rules: [
      { key: 'a', attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' },
      { key: 'b', attribute: 'department', operator: 'equals', value: '', role: 'viewer' }, // incomplete
      { key: 'c', attribute: 'groups', operator: 'in', value: 'Admins, "CN=Ops,OU=G"', role: 'admin' },
      { key: 'd', attribute: 'email', operator: 'matches', value: '(a+', role: 'admin' }, // invalid
    ],
    defaultRole: 'member',
  };

  it('evaluates the complete rules and says which fired and which were left out', () => {
    expect(previewDraft(draft, roles, { groups: ['Engineering', 'CN=Ops,OU=G'] })).toEqual({
      roles: ['admin', 'editor'],
      fired: [0, 2],
      skipped: [1, 3],
      defaultApplied: false,
      defaultRole: 'member',
      overBudget: null,
    });
  });

  it('says so, without roles, when the sample is over the evaluation budget', () => {
    const heavy: Draft = {
      rules: [{ key: 'h', attribute: 'groups', operator: 'matches', value: '(?:a|b)*a(?:a|b){100}', role: 'admin' }],
      defaultRole: 'member',
    };
    const p = previewDraft(heavy, roles, { groups: Array.from({ length: 500 }, () => 'a'.repeat(1024)) });
    expect(p).toMatchObject({ roles: [], fired: [], defaultApplied: false });
    expect(p.overBudget).toMatch(/rule 1, on groups.*would be refused/);
  });

  it('falls back to the default role, or to none', () => {
    expect(previewDraft(draft, roles, { groups: 'Nobody' })).toMatchObject({ roles: ['member'], fired: [], defaultApplied: true });
    expect(previewDraft({ ...draft, defaultRole: '' }, roles, {})).toMatchObject({ roles: [], fired: [], defaultApplied: false, defaultRole: null });
  });

  it('leaves out a rule whose role is not one of the tenant’s', () => {
    const d: Draft = { rules: [{ key: 'a', attribute: 'groups', operator: 'exists', value: '', role: 'wizard' }], defaultRole: '' };
    expect(previewDraft(d, roles, { groups: 'x' })).toMatchObject({ roles: [], skipped: [0] });
  });
});

describe('samples', () => {
  it('reads JSON objects (strings, lists, numbers, booleans), and the preview API body', () => {
    const r = parseSample('{"groups": ["A", "B"], "department": "Sales", "level": 3, "admin": true, "manager": null, "nested": {"x": 1}}');
    expect(r).toMatchObject({ ok: true, format: 'json' });
    if (r.ok) {
      expect({ ...r.attributes }).toEqual({ groups: ['A', 'B'], department: ['Sales'], level: ['3'], admin: ['true'] });
      expect(r.notes[0]).toMatch(/nested/);
    }
    const body = parseSample('{"attributes": {"groups": "A"}}');
    expect(body.ok && { ...body.attributes }).toEqual({ groups: ['A'] });
  });

  it.each([['[1,2]'], ['"x"'], ['{"groups": '], ['null']])('refuses %s', (text) => {
    expect(parseSample(text).ok).toBe(false);
  });

  it('fills in email and groups the way the sign-in reads them', () => {
    const { input, notes } = ruleInputOf({
      'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': ['Ada@Acme.test'],
      memberOf: ['Staff', ''],
      department: ['Sales'],
    });
    expect({ ...input }).toMatchObject({ email: ['Ada@Acme.test'], groups: ['Staff'], department: ['Sales'] });
    expect(notes).toHaveLength(2);

    const own = ruleInputOf({ email: ['a@x.test', 'b@x.test'], groups: ['G'], memberOf: ['M'] });
    expect({ ...own.input }).toMatchObject({ email: ['a@x.test'], groups: ['G'] });
    expect(own.notes).toEqual([]);

    expect({ ...ruleInputOf({}).input }).toEqual({ email: [], groups: [] });
  });
});
