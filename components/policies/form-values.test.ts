import { describe, expect, it } from 'vitest';
import { signInPolicyInputSchema } from '@/lib/policies/schema';
import { fromSeconds, policyFieldOf, toPolicyInput, type PolicyFormValues } from './form-values';

const base: PolicyFormValues = { requireMfa: false, ipAllowlist: '', consoleIpAllowlist: '', maxAge: '', maxAgeUnit: 'hours', idle: '', idleUnit: 'minutes' };

describe('sign-in policy form values', () => {
  it('turns lines and durations into the API body', () => {
    expect(toPolicyInput({ ...base, requireMfa: true, ipAllowlist: '10.0.0.0/8\n\n 192.0.2.0/24 , 2001:db8::/32', maxAge: '8', idle: '15' })).toEqual({
      requireMfa: true,
      ipAllowlist: ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32'],
      consoleIpAllowlist: [],
      sessionMaxAgeSeconds: 28800,
      sessionIdleSeconds: 900,
    });
    expect(toPolicyInput(base)).toMatchObject({ sessionMaxAgeSeconds: null, sessionIdleSeconds: null });
  });

  it('the shared schema names the line of a bad range, and a bad number', () => {
    const r = signInPolicyInputSchema.safeParse(toPolicyInput({ ...base, ipAllowlist: '10.0.0.0/8\n10.0.0.1/8', maxAge: 'abc' }));
    expect(r.success).toBe(false);
    const mapped = r.error!.issues.map((i) => policyFieldOf(i.path.join('.'), i.message));
    expect(mapped).toContainEqual({ field: 'ipAllowlist', message: expect.stringMatching(/^Line 2: "10\.0\.0\.1\/8" has host bits set/) });
    expect(mapped.map((m) => m.field)).toContain('maxAge');
  });

  it.each([
    [null, { value: '', unit: 'hours' }],
    [900, { value: '15', unit: 'minutes' }],
    [28800, { value: '8', unit: 'hours' }],
    [7 * 86400, { value: '7', unit: 'days' }],
  ] as const)('fromSeconds(%s)', (s, out) => expect(fromSeconds(s)).toEqual(out));
});
