import { describe, expect, it } from 'vitest';
import {
  coerceBoolean,
  coerceBooleans,
  emailValues,
  lastAttribute,
  listParams,
  mappingAttributes,
  namesOf,
  normalisePatch,
  normaliseResource,
  portalEmail,
  rewriteFilteredAdds,
  settlePrimary,
  splitPathlessReplaces,
} from './normalise';
import { compileGroupPatch } from './groups';
import { PATCH_OP, SCIMMY } from './scimmy';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('coerceBoolean / coerceBooleans', () => {
  it.each([
    ['True', true],
    ['False', false],
    ['true', true],
    [' FALSE ', false],
    [true, true],
    ['yes', 'yes'],
    [1, 1],
    [null, null],
  ])('%j → %j', (input, out) => expect(coerceBoolean(input)).toBe(out));

  it('turns strings of active and primary into booleans, at any depth, and nothing else', () => {
    expect(
      coerceBooleans({
        active: 'False',
        displayName: 'True',
        emails: [{ value: 'a@b.co', primary: 'True' }],
        roles: [{ primary: 'false', value: 'Admin' }],
        [`${ENT}`]: { department: 'false' },
      }),
    ).toEqual({
      active: false,
      displayName: 'True',
      emails: [{ value: 'a@b.co', primary: true }],
      roles: [{ primary: false, value: 'Admin' }],
      [ENT]: { department: 'false' },
    });
  });

  it('reads the attribute of a path or dotted key', () => {
    expect(lastAttribute('active')).toBe('active');
    expect(lastAttribute('emails[type eq "work"].primary')).toBe('primary');
    expect(lastAttribute('urn:ietf:params:scim:schemas:core:2.0:User:active')).toBe('active');
    expect(lastAttribute(`${ENT}:employeeNumber`)).toBe('employeenumber');
  });
});

describe('normaliseResource', () => {
  it('drops password, id, meta and a user\'s groups; coerces booleans; fixes manager', () => {
    const r = normaliseResource(
      { id: 'x', meta: { resourceType: 'User' }, userName: 'a', password: 'p', groups: [], active: 'True', [ENT]: { manager: 'm1' } },
      'User',
    )!;
    expect(r.resource).toEqual({ userName: 'a', active: true, [ENT]: { manager: { value: 'm1' } } });
    expect(r.dropped).toEqual(['password']);
  });
  it('keeps a group\'s members', () => {
    expect(normaliseResource({ displayName: 'G', members: [{ value: 'u' }] }, 'Group')!.resource).toEqual({ displayName: 'G', members: [{ value: 'u' }] });
  });
  it('refuses what is not an object', () => {
    expect(normaliseResource([], 'User')).toBeNull();
    expect(normaliseResource('x', 'User')).toBeNull();
    expect(normaliseResource(null, 'User')).toBeNull();
  });
  it('the result passes SCIMMY (Entra shape with string booleans)', () => {
    const r = normaliseResource({ userName: 'u@x.onmicrosoft.com', active: 'False', emails: [{ primary: 'True', type: 'work', value: 'u@x.com' }], roles: [{ primary: 'False', type: 'WindowsAzureActiveDirectoryRole', value: 'R' }] }, 'User')!;
    const s = JSON.parse(JSON.stringify(new SCIMMY.Schemas.User(r.resource, 'in')));
    expect(s.active).toBe(false);
    expect(s.emails[0].primary).toBe(true);
    expect(s.roles[0].type).toBe('WindowsAzureActiveDirectoryRole');
  });
});

describe('normalisePatch', () => {
  it('defaults schemas and coerces by path and by key', () => {
    const r = normalisePatch({
      Operations: [
        { op: 'Replace', path: 'active', value: 'False' },
        { op: 'Replace', value: { active: 'True', 'name.givenName': 'A' } },
        { op: 'Add', path: `${ENT}:manager`, value: 'boss' },
        { op: 'Replace', path: ' emails[type eq "work"].primary ', value: 'true' },
      ],
    })!;
    expect(r.message.schemas).toEqual([PATCH_OP]);
    expect(r.message.Operations).toEqual([
      { op: 'Replace', path: 'active', value: false },
      { op: 'Replace', value: { active: true, 'name.givenName': 'A' } },
      { op: 'Add', path: `${ENT}:manager`, value: { value: 'boss' } },
      { op: 'Replace', path: 'emails[type eq "work"].primary', value: true },
    ]);
    expect(r.noop).toBe(false);
  });
  it('drops password operations; a password-only PATCH is a no-op', () => {
    expect(normalisePatch({ schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'password', value: 'x' }] })).toMatchObject({ noop: true, dropped: ['password'] });
    const mixed = normalisePatch({ schemas: [PATCH_OP], Operations: [{ op: 'replace', value: { password: 'x', active: false } }] })!;
    expect(mixed.message.Operations).toEqual([{ op: 'replace', value: { active: false } }]);
    expect(JSON.stringify(mixed)).not.toContain('"x"');
  });
  it('leaves malformed parts for SCIMMY to refuse', () => {
    expect(normalisePatch({ schemas: [PATCH_OP] })!.message.Operations).toBeUndefined();
    expect(normalisePatch({ schemas: [PATCH_OP], Operations: 'x' })!.message.Operations).toBe('x');
    expect(normalisePatch({ schemas: [PATCH_OP], Operations: ['x', 1] })!.message.Operations).toEqual(['x', 1]);
    expect(normalisePatch([])).toBeNull();
  });
});

describe('rewriteFilteredAdds', () => {
  const op = (o: string, v = 'n@x.co') => [{ op: o, path: 'emails[type eq "work"].value', value: v }];
  it('adds the entry when none of that type exists', () => {
    expect(rewriteFilteredAdds(op('Add'), { userName: 'u' })).toEqual([{ op: 'add', path: 'emails', value: [{ type: 'work', value: 'n@x.co' }] }]);
    expect(rewriteFilteredAdds(op('replace'), { emails: [{ type: 'home', value: 'h@x.co' }] })).toEqual([
      { op: 'add', path: 'emails', value: [{ type: 'work', value: 'n@x.co' }] },
    ]);
  });
  it('leaves the operation alone when an entry matches (SCIMMY sets it in place)', () => {
    expect(rewriteFilteredAdds(op('replace'), { emails: [{ type: 'work', value: 'o@x.co' }] })).toEqual(op('replace'));
  });
  it('works for addresses and phone numbers and ignores other paths', () => {
    expect(rewriteFilteredAdds([{ op: 'Add', path: 'addresses[type eq "work"].locality', value: 'Paris' }], {})).toEqual([
      { op: 'add', path: 'addresses', value: [{ type: 'work', locality: 'Paris' }] },
    ]);
    const other = [{ op: 'add', path: 'displayName', value: 'x' }];
    expect(rewriteFilteredAdds(other, {})).toEqual(other);
  });
});

describe('rewriteFilteredAdds across operations', () => {
  const add = (path: string, value: unknown) => ({ op: 'Add', path, value });
  it('fills one new entry from several operations on it, and starts again after another operation on the attribute', () => {
    const ops = [
      add('addresses[type eq "work"].streetAddress', '1 Main'),
      add('addresses[type eq "work"].locality', 'Town'),
      add('emails[type eq "work"].value', 'w@x.co'),
      add('emails[type eq "work"].primary', true),
    ];
    expect(rewriteFilteredAdds(ops, {})).toEqual([
      { op: 'add', path: 'addresses', value: [{ type: 'work', streetAddress: '1 Main', locality: 'Town' }] },
      { op: 'add', path: 'emails', value: [{ type: 'work', value: 'w@x.co', primary: true }] },
    ]);
    for (const path of ['emails', 'urn:ietf:params:scim:schemas:core:2.0:User:emails']) {
      const interrupted = [add('emails[type eq "work"].value', 'w@x.co'), { op: 'remove', path }, add('emails[type eq "work"].value', 'v@x.co')];
      expect(rewriteFilteredAdds(interrupted, {})).toEqual([
        { op: 'add', path: 'emails', value: [{ type: 'work', value: 'w@x.co' }] },
        { op: 'remove', path },
        { op: 'add', path: 'emails', value: [{ type: 'work', value: 'v@x.co' }] },
      ]);
    }
  });
});

describe('splitPathlessReplaces', () => {
  it('turns multi-valued attributes of a pathless replace into replaces with a path, in place', () => {
    const emails = [{ value: 'a@x.co', primary: true }];
    expect(splitPathlessReplaces([{ op: 'replace', value: { displayName: 'A', emails } }, { op: 'add', path: 'title', value: 'T' }])).toEqual([
      { op: 'replace', value: { displayName: 'A' } },
      { op: 'replace', path: 'emails', value: emails },
      { op: 'add', path: 'title', value: 'T' },
    ]);
    expect(splitPathlessReplaces([{ op: 'Replace', value: { phoneNumbers: [] } }])).toEqual([{ op: 'replace', path: 'phoneNumbers', value: [] }]);
  });
  it('leaves other operations alone', () => {
    const ops = [{ op: 'replace', value: { active: false } }, { op: 'add', value: { emails: [{ value: 'a@x.co' }] } }, { op: 'replace', path: 'emails', value: [] }];
    expect(splitPathlessReplaces(ops)).toEqual(ops);
    expect(splitPathlessReplaces('x')).toBe('x');
  });
});

describe('settlePrimary', () => {
  const e = (value: string, primary?: boolean, type = 'work') => ({ type, value, ...(primary === undefined ? {} : { primary }) });
  it('a value made primary takes over from the one that was', () => {
    const before = { emails: [e('old@x.co', true)] };
    expect(settlePrimary(before, { emails: [e('old@x.co', true), e('new@x.co', true, 'home')] })).toEqual({ emails: [e('old@x.co', false), e('new@x.co', true, 'home')] });
  });
  it('one primary or none is left as it is, and so is a list that gained no new primary (an unrelated change)', () => {
    const one = { emails: [e('a@x.co', true), e('b@x.co')] };
    expect(settlePrimary({}, one)).toEqual(one);
    const two = { emails: [e('a@x.co', true), e('b@x.co', true)] };
    expect(settlePrimary(two, { ...two, displayName: 'x' })).toEqual({ ...two, displayName: 'x' });
  });
});

describe('portalEmail and friends', () => {
  it('primary, else work, else userName when it is an address', () => {
    expect(portalEmail({ userName: 'u@upn.com', emails: [{ value: 'W@x.com', type: 'work' }, { value: 'P@x.com', type: 'home', primary: true }] })).toBe('p@x.com');
    expect(portalEmail({ userName: 'u@upn.com', emails: [{ value: 'h@x.com', type: 'home' }, { value: 'W@x.com', type: 'Work' }] })).toBe('w@x.com');
    expect(portalEmail({ userName: 'U@upn.com', emails: [{ value: 'h@x.com', type: 'home' }] })).toBe('u@upn.com');
    expect(portalEmail({ userName: 'jdoe' })).toBeNull();
    expect(portalEmail({ userName: 'jdoe', emails: [{ value: 'not an email', primary: true }] })).toBeNull();
  });
  it('emailValues lower-cases and de-duplicates', () => {
    expect(emailValues({ emails: [{ value: 'A@x.com' }, { value: 'a@x.com' }, { value: '' }, 'junk'] })).toEqual(['a@x.com']);
  });
  it('namesOf prefers name parts, else splits the display name', () => {
    expect(namesOf({ name: { givenName: 'Ada', familyName: 'Lovelace' } })).toEqual({ firstName: 'Ada', lastName: 'Lovelace' });
    expect(namesOf({ displayName: 'Grace Brewster Hopper' })).toEqual({ firstName: 'Grace Brewster', lastName: 'Hopper' });
    expect(namesOf({})).toEqual({ firstName: null, lastName: null });
  });
  it('mappingAttributes: groups, email and short names of core and enterprise attributes', () => {
    expect(mappingAttributes({ userName: 'u@x.com', title: 'CTO', [ENT]: { department: 'R&D', costCenter: '' } }, ['B', 'A', 'A'])).toEqual({
      userName: ['u@x.com'],
      title: ['CTO'],
      department: ['R&D'],
      email: ['u@x.com'],
      groups: ['A', 'B'],
    });
  });
});

describe('listParams', () => {
  it('defaults and bounds startIndex and count', () => {
    expect(listParams(new URLSearchParams(''), 500)).toEqual({ startIndex: 1, count: 500 });
    expect(listParams(new URLSearchParams('startIndex=0&count=-3'), 500)).toEqual({ startIndex: 1, count: 0 });
    expect(listParams(new URLSearchParams('startIndex=5&count=9999&filter=x'), 500)).toEqual({ startIndex: 5, count: 500, filter: 'x' });
    expect(listParams(new URLSearchParams('startIndex=abc&count=1.5'), 500)).toEqual({ startIndex: 1, count: 500 });
    expect(listParams({ startIndex: 2, count: 10, attributes: ['userName', 'emails'] }, 500)).toEqual({ startIndex: 2, count: 10, attributes: 'userName,emails' });
  });
});

describe('compileGroupPatch', () => {
  it('compiles the Okta and Entra shapes', () => {
    expect(
      compileGroupPatch(
        [
          { op: 'remove', path: 'members[value eq "u1"]' },
          { op: 'add', path: 'members', value: [{ value: 'u2', display: 'x' }] },
          { op: 'Remove', path: 'members', value: [{ value: 'u3' }] },
          { op: 'Replace', path: 'displayName', value: 'G2' },
          { op: 'replace', value: { id: 'g1', displayName: 'G3' } },
          { op: 'replace', path: 'members', value: [{ value: 'u4' }] },
          { op: 'remove', path: 'members' },
          { op: 'Add', value: { members: [{ value: 'u5' }] } },
        ],
        'g1',
      ),
    ).toEqual([
      { kind: 'remove', ids: ['u1'] },
      { kind: 'add', ids: ['u2'] },
      { kind: 'remove', ids: ['u3'] },
      { kind: 'displayName', value: 'G2' },
      { kind: 'displayName', value: 'G3' },
      { kind: 'replace', ids: ['u4'] },
      { kind: 'removeAll' },
      { kind: 'add', ids: ['u5'] },
    ]);
  });
  it('leaves other shapes to SCIMMY', () => {
    expect(compileGroupPatch([{ op: 'replace', path: 'members[value eq "u1"].display', value: 'x' }], 'g')).toBeNull();
    expect(compileGroupPatch([{ op: 'add', path: 'members', value: ['u1'] }], 'g')).toBeNull();
    expect(compileGroupPatch([{ op: 'replace', value: { id: 'other' } }], 'g')).toBeNull();
  });
});
