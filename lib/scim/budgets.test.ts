import { describe, expect, it } from 'vitest';
import { SCIMMY } from './scimmy';
import { attributeListProblem, filterProblem, filterTerms, MAX_FILTER_COMPARISONS, MAX_FILTER_LENGTH, MAX_PATCH_MEMBERS, MAX_PATCH_OPERATIONS, patchCost, patchProblem } from './budgets';

const or = (n: number) => Array.from({ length: n }, (_, i) => `userName eq "u${i}"`).join(' or ');
const pairs = (k: number) => Array.from({ length: k }, (_, i) => `(id eq "a${i}" or id eq "b${i}")`).join(' and ');
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
    // ANDs of ORs expand (to an OR of ANDs) multiplicatively: 16 pairs, 32 comparisons, 65,536 terms.
    ['ANDs of ORs past 64 terms', pairs(7), /128 terms once expanded; at most 64/],
    ['64 terms', pairs(6), null],
    ['a NOT of ORs of ANDs expands the same way', `not (${Array.from({ length: 7 }, (_, i) => `(id eq "a${i}" and id eq "b${i}")`).join(' or ')})`, /128 terms/],
    ['value-path filters count too', Array.from({ length: 7 }, (_, i) => `emails[value eq "a${i}" or value eq "b${i}"]`).join(' and '), /128 terms/],
    ['the 2^16 filter of the review', pairs(16), /65536 terms/],
    // NOT keeps the OR it negates: 25 negated pairs (1 KB) were 2^25 terms and ran the process out of memory.
    ['NOTs of ORs multiply like ORs', Array.from({ length: 7 }, (_, i) => `not (title eq "a${i}" or title eq "b${i}")`).join(' and '), /128 terms/],
    ['a NOT of a value path with an OR inside', Array.from({ length: 7 }, (_, i) => `not emails[value eq "a${i}" or value eq "b${i}"]`).join(' and '), /128 terms/],
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
    ['qualified names and sub-attributes', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,name.givenName,$ref', null],
    ['a filter expression in place of a name', '(a0 pr or b0 pr) and userName', /not an attribute name/],
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
    ['a value-path filter past 64 terms', ops({ op: 'remove', path: `emails[${pairs(7)}].value` }), /operation 1: the path's filter has 128 terms/],
    ['a value-path filter past 50 comparisons', ops({ op: 'remove', path: `emails[${or(51)}]` }), /operation 1: the path's filter has 51 comparisons/],
    ['value-path filters add up past 2,000 terms', ops(...Array.from({ length: 1000 }, () => ({ op: 'remove', path: `emails[${or(3)}]` }))), /3000 terms in all; at most 2000/],
    ['a value-path filter in a pathless value’s key', ops({ op: 'add', value: { [`emails[${pairs(7)}].display`]: 'x' } }), /operation 1: the path's filter has 128 terms/],
    ['remove by filter is one op, no values', ops(...Array.from({ length: 1000 }, (_, i) => ({ op: 'remove', path: `members[value eq "scu_${i}"]` }))), null],
  ])('%s', (_name, body, problem) => {
    const p = patchProblem(body);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeNull();
  });
});

describe('filterTerms bounds what the parser expands', () => {
  it.each([
    'userName eq "a"',
    '(a eq "1" or b eq "2") and (c eq "1" or d eq "2")',
    'not (title eq "a" or title eq "b")',
    'not (title eq "a" or title eq "b") and not (title eq "c" or title eq "d")',
    'not (title eq "a" and title eq "b")',
    'emails[value eq "a" or value eq "b"] and emails[type eq "c" or type eq "d"]',
    'not emails[value eq "a" or value eq "b"]',
    'emails[not (value eq "a" or value eq "b") and not (type eq "c" or type eq "d")]',
    '(a eq "1" or b eq "2") and not (c eq "1" or d eq "2" and e eq "3")',
  ])('%s', (filter) => {
    expect(filterTerms(filter)).toBeGreaterThanOrEqual((new SCIMMY.Types.Filter(filter) as unknown as unknown[]).length);
  });
});

describe('patchCost', () => {
  it('counts a pathless value’s keys as operations, the size of the lists it brings and the longest', () => {
    expect(patchCost([{ op: 'replace', path: 'active', value: false }, { op: 'replace', value: { displayName: 'A', title: 'B', nickName: 'C' } }, { op: 'add', path: 'emails', value: members(150) }])).toEqual({
      operations: 5,
      valueChars: JSON.stringify(members(150)).length,
      largestList: 150,
    });
  });
});
