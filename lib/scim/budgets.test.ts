import { describe, expect, it } from 'vitest';
import { attributeListProblem, filterProblem, MAX_FILTER_COMPARISONS, MAX_FILTER_LENGTH, MAX_PATCH_MEMBERS, MAX_PATCH_OPERATIONS, patchProblem } from './budgets';

const or = (n: number) => Array.from({ length: n }, (_, i) => `userName eq "u${i}"`).join(' or ');
const members = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `scu_${i}` }));
const ops = (...o: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: o });

describe('filterProblem', () => {
  it.each<[string, string, RegExp | null]>([
    ['an everyday filter', 'userName eq "ada@example.com"', null],
    ['50 comparisons', or(50), null],
    ['51 comparisons', or(51), /51 comparisons; at most 50/],
    ['pr and not count too', Array.from({ length: 51 }, () => 'title pr').join(' and '), /51 comparisons/],
    ['operators inside quoted values do not count', `userName eq "${' eq '.repeat(100)}"`, null],
    ['2,000 characters', `userName eq "${'a'.repeat(MAX_FILTER_LENGTH - 14)}"`, null],
    ['over 2,000 characters', `userName eq "${'a'.repeat(MAX_FILTER_LENGTH)}"`, /at most 2000/],
  ])('%s', (_name, filter, problem) => {
    const p = filterProblem(filter);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeNull();
  });
  it('states its limits', () => expect([MAX_FILTER_LENGTH, MAX_FILTER_COMPARISONS]).toEqual([2000, 50]));
});

describe('attributeListProblem', () => {
  it.each<[string, string, RegExp | null]>([
    ['a few names', 'userName,emails', null],
    ['100 names', Array.from({ length: 100 }, (_, i) => `a${i}`).join(','), null],
    ['101 names', Array.from({ length: 101 }, (_, i) => `a${i}`).join(','), /101 attributes; at most 100/],
    ['over 2,000 characters', 'a'.repeat(2001), /at most 2000/],
  ])('%s', (_name, list, problem) => {
    const p = attributeListProblem(list, 'attributes');
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeNull();
  });
});

describe('patchProblem', () => {
  it.each<[string, unknown, RegExp | null]>([
    ['not an object (SCIMMY answers)', 'x', null],
    ['no Operations (SCIMMY answers)', { schemas: [] }, null],
    ['one replace', ops({ op: 'replace', path: 'active', value: false }), null],
    ['1,000 operations', ops(...Array.from({ length: MAX_PATCH_OPERATIONS }, () => ({ op: 'replace', path: 'title', value: 'x' }))), null],
    ['1,001 operations', ops(...Array.from({ length: MAX_PATCH_OPERATIONS + 1 }, () => ({ op: 'replace', path: 'title', value: 'x' }))), /1001 operations; at most 1000/],
    ['lower-case operations key', { operations: Array.from({ length: 1001 }, () => ({ op: 'remove', path: 'title' })) }, /1001 operations/],
    ['10,000 members', ops({ op: 'add', path: 'members', value: members(MAX_PATCH_MEMBERS) }), null],
    ['10,001 members in one op', ops({ op: 'add', path: 'members', value: members(MAX_PATCH_MEMBERS + 1) }), /10001 member values; at most 10000/],
    ['members across ops add up', ops({ op: 'add', path: 'members', value: members(6000) }, { op: 'remove', path: 'members', value: members(4001) }), /10001 member values/],
    ['pathless members count', ops({ op: 'replace', value: { displayName: 'G', members: members(10_001) } }), /10001 member values/],
    ['the core schema URN form counts', ops({ op: 'add', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members', value: members(10_001) }), /10001/],
    ['remove by filter is one op, no values', ops(...Array.from({ length: 1000 }, (_, i) => ({ op: 'remove', path: `members[value eq "scu_${i}"]` }))), null],
  ])('%s', (_name, body, problem) => {
    const p = patchProblem(body);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeNull();
  });
});
