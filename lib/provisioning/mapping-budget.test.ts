import { describe, expect, it } from 'vitest';
import type { Rule } from '../validation/role-mappings';
import { evaluate, evaluationCost, MAPPING_BUDGET, MappingBudgetExceeded, type Attributes } from './mapping';

/**
 * The total budget of one evaluation (mapping.ts "Budget"). Security finding: 200 `matches` rules
 * and a sign-in with 200 group values of 1 KiB kept the event loop for a minute; each pattern was
 * bounded, their total was not. (Before the fix this evaluation ran for about 45 s and returned.)
 */

const matches = (value: string, role = 'admin', attribute = 'groups'): Rule => ({ attribute, operator: 'matches', value, role });
const kib = (i: number) => `g${i}-` + 'a'.repeat(1024 - 2 - String(i).length);

describe('the review’s finding', () => {
  // Patterns the old checker admitted and that cost its engine about 1 ms per 1 KiB value.
  const rules = Array.from({ length: 200 }, (_, i) => matches(`.*.*=${i}`));
  const attributes = { groups: Array.from({ length: 200 }, (_, i) => kib(i)) };

  it('200 matches rules × 200 values of 1 KiB are refused at once, before any rule runs', () => {
    const start = performance.now();
    let error: unknown;
    try {
      evaluate({ rules, defaultRole: 'member' }, attributes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MappingBudgetExceeded);
    const e = error as MappingBudgetExceeded;
    expect(e.cost).toBeGreaterThan(100 * MAPPING_BUDGET);
    expect(e.budget).toBe(MAPPING_BUDGET);
    expect(e.heaviest).toMatchObject({ index: expect.any(Number), attribute: 'groups', operator: 'matches', values: 200, characters: 200 * 1024 });
    expect(e.message).toMatch(/over the budget of 4000000; the costliest is rule \d+ \(groups matches, over 200 values \/ 204800 characters\)/);
    // Compiling the 200 patterns is all the work done (cold cache); the old engine took ~45 s.
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('gives no partial result: the first rules would fit, the total does not', () => {
    const cheapThenHeavy = [{ attribute: 'groups', operator: 'exists', role: 'viewer' } as Rule, ...rules];
    expect(() => evaluate({ rules: cheapThenHeavy, defaultRole: null }, attributes)).toThrow(MappingBudgetExceeded);
  });
});

describe('everyday configurations pass', () => {
  const rules: Rule[] = [
    { attribute: 'groups', operator: 'contains', value: 'Admins', role: 'admin' },
    { attribute: 'groups', operator: 'in', value: ['Eng', 'Design', 'Ops'], role: 'editor' },
    { attribute: 'department', operator: 'equals', value: 'Sales', role: 'viewer' },
    { attribute: 'email', operator: 'matches', value: '[a-z.]+@(?:ops\\.)?example\\.com', role: 'member' },
    { attribute: 'groups', operator: 'matches', value: 'eng-[a-z0-9-]+', role: 'editor' },
    { attribute: 'groups', operator: 'matches', value: 'CN=[^,]+,OU=Admins,DC=example,DC=com', role: 'admin' },
    { attribute: 'groups', operator: 'matches', value: '.*-(?:admin|owner)s?', role: 'admin' },
    { attribute: 'employeeId', operator: 'exists', role: 'member' },
  ];
  const cases: Array<[string, Attributes, string[]]> = [
    ['a few groups', { groups: ['Users', 'eng-platform'], email: 'jane@example.com' }, ['editor', 'member']],
    ['an AD user in 150 groups', { groups: Array.from({ length: 150 }, (_, i) => `CN=Group ${i},OU=Groups,DC=example,DC=com`), email: 'ops@ops.example.com', department: 'Sales' }, ['member', 'viewer']],
    ['an Entra user with 200 group ids', { groups: Array.from({ length: 200 }, () => crypto.randomUUID()), employeeId: '42' }, ['member']],
  ];
  it.each(cases)('%s', (_name, attributes, roles) => {
    const { cost } = evaluationCost({ rules, defaultRole: null }, attributes);
    expect(cost).toBeLessThan(MAPPING_BUDGET);
    expect(evaluate({ rules, defaultRole: null }, attributes).roles).toEqual(roles);
  });
});

describe('cost', () => {
  const cases: Array<[string, Rule[], Attributes, number]> = [
    ['no rules', [], { groups: ['a'] }, 0],
    ['absent attribute costs nothing', [matches('a+')], {}, 0],
    // (program size 6 + 16) × (3 characters + 8 per value)
    ['matches: (size + 16) × (characters + 8 per value)', [matches('a+')], { groups: ['aaa'] }, 22 * 11],
    ['matches over two values', [matches('a+')], { groups: ['aa', 'aaaa'] }, 22 * (6 + 16)],
    ['an invalid pattern never runs', [matches('(a')], { groups: ['aaa'] }, 0],
    ['contains: 1 + characters / 16 per value', [{ attribute: 'groups', operator: 'contains', value: 'x', role: 'r' }], { groups: ['a'.repeat(32), 'b'] }, 2 + 3],
    ['in: plus the length of its list', [{ attribute: 'groups', operator: 'in', value: ['x', 'y', 'z'], role: 'r' }], { groups: ['a'] }, 1 + 1 + 3],
    ['rules on one attribute each pay for it', [matches('a+'), matches('a+')], { groups: ['aaa'] }, 2 * 22 * 11],
  ];
  it.each(cases)('%s', (_name, rules, attributes, cost) => {
    expect(evaluationCost({ rules, defaultRole: null }, attributes).cost).toBe(cost);
  });

  it('a budget can be given per call', () => {
    expect(() => evaluate({ rules: [matches('a+')], defaultRole: null }, { groups: ['aaa'] }, { budget: 100 })).toThrow(MappingBudgetExceeded);
    expect(evaluate({ rules: [matches('a+')], defaultRole: null }, { groups: ['aaa'] }, { budget: 242 }).roles).toEqual(['admin']);
  });
});

describe('the worst admissible evaluation is bounded', () => {
  // The slowest pattern families found (every instruction live at every character), filled up to
  // the budget: each must finish well within a second (measured 40–50 ms on a 2-core machine).
  const worst: Array<[string, number, (n: number) => string]> = [
    ['(?:.?){1,660}x', 36, (n) => 'a'.repeat(n)],
    ['(?:a?){1,660}b', 100, (n) => 'a'.repeat(n)],
    ['(?:a|b)*a(?:a|b){200}', 2048, (n) => 'a'.repeat(n)],
    ['.*.*.*x', 4096, (n) => 'a'.repeat(n)],
  ];
  it.each(worst)('%s on values of %i characters', (value, length, make) => {
    const rule = matches(value);
    const one = evaluationCost({ rules: [rule], defaultRole: null }, { groups: [make(length)] }).cost;
    const n = Math.floor(MAPPING_BUDGET / one);
    expect(n).toBeGreaterThan(0);
    const attributes = { groups: Array.from({ length: n }, () => make(length)) };
    expect(evaluationCost({ rules: [rule], defaultRole: null }, attributes).cost).toBeGreaterThan(0.6 * MAPPING_BUDGET);
    const start = performance.now();
    evaluate({ rules: [rule], defaultRole: null }, attributes);
    expect(performance.now() - start).toBeLessThan(1000);
    // One more value is over.
    expect(() => evaluate({ rules: [rule], defaultRole: null }, { groups: [...attributes.groups, make(length)] })).toThrow(MappingBudgetExceeded);
  });
});
