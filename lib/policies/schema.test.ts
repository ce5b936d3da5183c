import { describe, expect, it } from 'vitest';
import { policyView, signInPolicyInputSchema, toStoredPolicy } from './schema';

const paths = (input: unknown) => {
  const r = signInPolicyInputSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

describe('sign-in policy schema', () => {
  it('accepts a full policy and stores only what is on, with canonical ranges', () => {
    const r = signInPolicyInputSchema.parse({
      requireMfa: true,
      ipAllowlist: ['10.0.0.0/8', ' 2001:DB8::/32', '10.0.0.0/8'],
      consoleIpAllowlist: ['192.0.2.7'],
      sessionMaxAgeSeconds: 8 * 3600,
      sessionIdleSeconds: 900,
    });
    expect(toStoredPolicy(r)).toEqual({
      requireMfa: true,
      ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'],
      consoleIpAllowlist: ['192.0.2.7/32'],
      sessionMaxAgeSeconds: 28800,
      sessionIdleSeconds: 900,
    });
  });

  it('an empty body turns everything off', () => {
    expect(toStoredPolicy(signInPolicyInputSchema.parse({}))).toEqual({});
    expect(toStoredPolicy(signInPolicyInputSchema.parse({ requireMfa: false, ipAllowlist: [], sessionMaxAgeSeconds: null }))).toEqual({});
    expect(policyView({})).toEqual({ requireMfa: false, ipAllowlist: [], consoleIpAllowlist: [], sessionMaxAgeSeconds: null, sessionIdleSeconds: null });
  });

  it.each([
    [{ ipAllowlist: ['10.0.0.0/8', '192.0.2.0/24', '300.1.1.1/8'] }, ['ipAllowlist.2']],
    [{ consoleIpAllowlist: ['10.0.0.1/8'] }, ['consoleIpAllowlist.0']],
    [{ ipAllowlist: '10.0.0.0/8' }, ['ipAllowlist']],
    [{ ipAllowlist: [42] }, ['ipAllowlist.0']],
    [{ ipAllowlist: Array.from({ length: 101 }, (_, i) => `10.0.${i}.0/24`) }, ['ipAllowlist']],
    [{ requireMfa: 'yes' }, ['requireMfa']],
    [{ sessionMaxAgeSeconds: 299 }, ['sessionMaxAgeSeconds']],
    [{ sessionMaxAgeSeconds: 90 * 86400 + 1 }, ['sessionMaxAgeSeconds']],
    [{ sessionMaxAgeSeconds: 300.5 }, ['sessionMaxAgeSeconds']],
    [{ sessionIdleSeconds: 59 }, ['sessionIdleSeconds']],
    [{ sessionIdleSeconds: 30 * 86400 + 1 }, ['sessionIdleSeconds']],
    [{ sessionMaxAgeSeconds: 600, sessionIdleSeconds: 601 }, ['sessionIdleSeconds']],
    [{ unknownField: true }, ['']],
  ])('%j → errors at %j', (input, expected) => expect(paths(input)).toEqual(expected));

  it('bounds are inclusive', () => {
    expect(paths({ sessionMaxAgeSeconds: 300, sessionIdleSeconds: 60 })).toEqual([]);
    expect(paths({ sessionMaxAgeSeconds: 90 * 86400, sessionIdleSeconds: 30 * 86400 })).toEqual([]);
    expect(paths({ sessionMaxAgeSeconds: 600, sessionIdleSeconds: 600 })).toEqual([]);
    expect(paths({ sessionIdleSeconds: 30 * 86400 })).toEqual([]); // idle alone
  });
});
