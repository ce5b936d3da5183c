import { describe, expect, it } from 'vitest';
import type { RoleMapping } from '../validation/role-mappings';
import { computeImpact, userChange, userRuleInput, type ImpactUser } from './impact';

const saved: RoleMapping = {
  rules: [{ attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' }],
  defaultRole: 'member',
};
const draft: RoleMapping = {
  rules: [
    { attribute: 'groups', operator: 'contains', value: 'Engineering', role: 'editor' },
    { attribute: 'department', operator: 'equals', value: 'Sales', role: 'viewer' },
    { attribute: 'email', operator: 'matches', value: '.*@ops\\.acme\\.test', role: 'admin' },
  ],
  defaultRole: null,
};

let n = 0;
const user = (u: Partial<ImpactUser>): ImpactUser => ({
  id: `usr_${String(n++).padStart(3, '0')}`,
  email: `u${n}@acme.test`,
  roles: [],
  groups: [],
  attributes: {},
  status: 'active',
  lastLoginAt: new Date(),
  ...u,
});

describe('userRuleInput', () => {
  it('is the kept attributes plus email and groups, as at sign-in (they win over attributes of that name)', () => {
    expect(userRuleInput({ email: 'a@x.test', groups: ['G'], attributes: { department: ['Sales'], email: ['old@x.test'], groups: ['old'] } })).toEqual({
      department: ['Sales'],
      email: ['a@x.test'],
      groups: ['G'],
    });
    expect(userRuleInput({ email: 'a@x.test', groups: [], attributes: null })).toEqual({ email: ['a@x.test'], groups: [] });
  });
});

describe('userChange', () => {
  it('is null for a user without kept attributes', () => {
    expect(userChange(saved, draft, user({ attributes: null, roles: ['member'] }))).toBeNull();
  });

  it('is "unchanged" when the draft gives the roles the user has (in any order)', () => {
    const u = user({ groups: ['Engineering'], attributes: { department: ['Sales'] }, roles: ['viewer', 'editor'] });
    expect(userChange(saved, draft, u)).toBe('unchanged');
  });

  it('compares the draft with the stored roles, and marks changes the saved rules already make as pending', () => {
    // Signed in under the saved rules: member; the draft drops the default role.
    const a = user({ roles: ['member'], groups: ['Everyone'] });
    expect(userChange(saved, draft, a)).toMatchObject({ before: ['member'], after: [], added: [], removed: ['member'], pending: false });
    // Stored roles are out of date (the saved rules already give editor): pending.
    const b = user({ roles: ['viewer'], groups: ['Engineering'] });
    expect(userChange(saved, draft, b)).toMatchObject({ before: ['viewer'], after: ['editor'], added: ['editor'], removed: ['viewer'], pending: true });
    // email is the stored (lower-case) address, as the rules see it at sign-in.
    const c = user({ email: 'root@ops.acme.test', roles: ['member'] });
    expect(userChange(saved, draft, c)).toMatchObject({ after: ['admin'], added: ['admin'], removed: ['member'] });
  });
});

describe('computeImpact', () => {
  const users = [
    user({ email: 'eng@acme.test', roles: ['editor'], groups: ['Engineering'] }), // unchanged
    user({ email: 'sales@acme.test', roles: ['member'], attributes: { department: ['Sales'] } }), // member → viewer
    user({ email: 'ops@ops.acme.test', roles: ['member'], groups: ['Engineering'] }), // member → admin, editor
    user({ email: 'other@acme.test', roles: ['member'], status: 'suspended' }), // member → none
    user({ email: 'scim@acme.test', roles: ['member'], attributes: null }), // unknown
    user({ email: 'never@acme.test', roles: [], attributes: null }), // unknown
  ];

  it('counts who gains and loses which role, lists them, and lists users without kept attributes as unknown', () => {
    const i = computeImpact(saved, draft, users);
    expect(i.evaluated).toBe(4);
    expect(i.changedCount).toBe(3);
    expect(i.changedByDraft).toBe(3);
    expect(i.changes.map((c) => [c.email, c.before, c.after])).toEqual([
      ['sales@acme.test', ['member'], ['viewer']],
      ['ops@ops.acme.test', ['member'], ['admin', 'editor']],
      ['other@acme.test', ['member'], []],
    ]);
    expect(i.changes[2].status).toBe('suspended');
    expect(i.byRole).toEqual([
      { role: 'admin', gained: 1, lost: 0 },
      { role: 'editor', gained: 1, lost: 0 },
      { role: 'member', gained: 0, lost: 3 },
      { role: 'viewer', gained: 1, lost: 0 },
    ]);
    expect(i.unknownCount).toBe(2);
    expect(i.unknown.map((u) => [u.email, u.roles])).toEqual([
      ['scim@acme.test', ['member']],
      ['never@acme.test', []],
    ]);
  });

  it('shows no change when the draft is the saved mapping and roles are up to date', () => {
    const upToDate = users.filter((u) => u.attributes).map((u) => ({ ...u, roles: u.email === 'eng@acme.test' || u.email === 'ops@ops.acme.test' ? ['editor'] : ['member'] }));
    const i = computeImpact(saved, saved, upToDate);
    expect(i).toMatchObject({ evaluated: 4, changedCount: 0, changes: [], byRole: [], unknownCount: 0 });
  });

  it('caps the lists but not the counts', () => {
    const many = Array.from({ length: 30 }, (_, k) => user({ roles: ['member'], attributes: k % 3 === 0 ? null : {} }));
    const i = computeImpact(saved, draft, many, { listLimit: 5 });
    expect(i.changedCount).toBe(20);
    expect(i.changes).toHaveLength(5);
    expect(i.unknownCount).toBe(10);
    expect(i.unknown).toHaveLength(5);
    expect(i.byRole).toEqual([{ role: 'member', gained: 0, lost: 20 }]);
  });

  it('is empty for a tenant without users', () => {
    expect(computeImpact(saved, draft, [])).toEqual({
      evaluated: 0,
      changedCount: 0,
      changes: [],
      changedByDraft: 0,
      byRole: [],
      unknownCount: 0,
      unknown: [],
      notChecked: 0,
    });
  });
});
