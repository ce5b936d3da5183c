import { describe, expect, it } from 'vitest';
import type { ScimUserRow } from '../db/schema';
import { canonicalJson } from '../audit/chain';
import { plain } from './context';
import { unqualifyCore, userOutDirect, userOutScimmy } from './resources';
import { SCIMMY } from './scimmy';

const base = 'https://portal.example.com/api/scim/v2/dir_1';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** What createUser stores: SCIMMY's inbound coercion, without id/meta/groups/password. */
function stored(input: Record<string, unknown>): Record<string, unknown> {
  const r = plain<Record<string, unknown>>(new SCIMMY.Schemas.User(input, 'in'));
  for (const k of ['meta', 'id', 'groups', 'password']) delete r[k];
  return r;
}

function row(resource: Record<string, unknown>, over: Partial<ScimUserRow> = {}): ScimUserRow {
  return {
    id: 'scu_01',
    directoryId: 'dir_1',
    tenantId: 'tnt_1',
    userName: resource.userName as string,
    externalId: (resource.externalId as string | undefined) ?? null,
    active: resource.active !== false,
    emails: [],
    resource,
    portalUserId: null,
    version: 3,
    createdAt: new Date('2026-01-02T03:04:05.000Z'),
    updatedAt: new Date('2026-02-03T04:05:06.000Z'),
    ...over,
  } as ScimUserRow;
}

const cases: [string, Record<string, unknown>][] = [
  ['okta create', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'a@x.com', name: { givenName: 'A', familyName: 'B' }, emails: [{ primary: true, value: 'a@x.com', type: 'work' }], displayName: 'A B', externalId: '00u1', groups: [], password: 'pw', active: true }],
  ['entra with enterprise extension', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT], externalId: 'e1', userName: 'u@c.onmicrosoft.com', active: false, displayName: 'B U', title: 'Eng', emails: [{ primary: true, type: 'work', value: 'u@c.com' }], addresses: [{ type: 'work', locality: 'Oslo', country: 'NO' }], phoneNumbers: [{ type: 'mobile', value: '+47 1' }], name: { givenName: 'B', familyName: 'U', formatted: 'B U' }, [ENT]: { department: 'R&D', employeeNumber: '1', manager: { value: 'm1' } } }],
  ['minimal, no externalId', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'min' }],
];

describe('userOut without an attribute filter', () => {
  for (const [name, input] of cases) {
    it(`equals SCIMMY's outbound coercion: ${name}`, () => {
      const r = row(stored(input));
      for (const groups of [[], [{ id: 'scg_1', displayName: 'Engineering' }, { id: 'scg_2', displayName: 'Sales' }]]) {
        expect(canonicalJson(userOutDirect({ base }, r, groups))).toBe(canonicalJson(userOutScimmy({ base }, r, groups)));
      }
    });
  }
});

describe('unqualifyCore', () => {
  it('drops the core schema URN before attribute names, never inside values', () => {
    expect(unqualifyCore('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a@b.co"')).toBe('userName eq "a@b.co"');
    expect(unqualifyCore('URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:Group:displayName eq "x" and urn:ietf:params:scim:schemas:core:2.0:Group:id pr')).toBe(
      'displayName eq "x" and id pr',
    );
    const inValue = 'title eq "urn:ietf:params:scim:schemas:core:2.0:User:userName"';
    expect(unqualifyCore(inValue)).toBe(inValue);
    const ext = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "9"';
    expect(unqualifyCore(ext)).toBe(ext);
  });
});
