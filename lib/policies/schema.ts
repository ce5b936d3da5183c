import { z } from 'zod';
import type { SignInPolicy } from '../db/schema/tenants';
import { parseCidr } from './cidr';

export const MIN_SESSION_MAX_AGE = 300;
export const MAX_SESSION_MAX_AGE = 90 * 24 * 3600;
export const MIN_SESSION_IDLE = 60;
export const MAX_SESSION_IDLE = 30 * 24 * 3600;
export const MAX_ALLOWLIST_ENTRIES = 100;

/** A list of CIDR ranges; each entry is checked and stored in canonical form. Errors name the index (`ipAllowlist.2`). */
const cidrList = z
  .array(z.string({ error: 'must be a string' }).max(64, 'is too long for an IP range'), { error: 'must be a list of CIDR ranges' })
  .max(MAX_ALLOWLIST_ENTRIES, `at most ${MAX_ALLOWLIST_ENTRIES} ranges`)
  .transform((list, ctx) => {
    const out: string[] = [];
    list.forEach((entry, i) => {
      const p = parseCidr(entry);
      if (!p.ok) ctx.addIssue({ code: 'custom', path: [i], message: p.message });
      else if (!out.includes(p.canonical)) out.push(p.canonical);
    });
    return out;
  });

/** 300 → "5 minutes", 7776000 → "90 days". */
export function humanDuration(seconds: number): string {
  const units: [number, string][] = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  const [size, name] = units.find(([u]) => seconds % u === 0 && seconds >= u) ?? [1, 'second'];
  const n = seconds / size;
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

const seconds = (min: number, max: number, what: string) =>
  z
    .number({ error: 'must be a number of seconds' })
    .int('must be a whole number of seconds')
    .min(min, `${what} must be at least ${humanDuration(min)}`)
    .max(max, `${what} must be at most ${humanDuration(max)}`)
    .nullable();

/**
 * The body of `PUT …/sign-in-policy` and of the console form: the whole policy (a field left out
 * is off / no restriction). Shared by the API, the server action and the form's resolver.
 */
export const signInPolicyInputSchema = z
  .strictObject({
    requireMfa: z.boolean({ error: 'must be true or false' }).optional(),
    ipAllowlist: cidrList.optional(),
    consoleIpAllowlist: cidrList.optional(),
    sessionMaxAgeSeconds: seconds(MIN_SESSION_MAX_AGE, MAX_SESSION_MAX_AGE, 'the session lifetime').optional(),
    sessionIdleSeconds: seconds(MIN_SESSION_IDLE, MAX_SESSION_IDLE, 'the idle timeout').optional(),
  })
  .superRefine((v, ctx) => {
    if (v.sessionIdleSeconds != null && v.sessionMaxAgeSeconds != null && v.sessionIdleSeconds > v.sessionMaxAgeSeconds) {
      ctx.addIssue({ code: 'custom', path: ['sessionIdleSeconds'], message: 'the idle timeout cannot be longer than the session lifetime' });
    }
  });

export type SignInPolicyInput = z.input<typeof signInPolicyInputSchema>;

/** The policy as the API answers it: every field present. */
export const signInPolicyViewSchema = z.object({
  requireMfa: z.boolean(),
  ipAllowlist: z.array(z.string()),
  consoleIpAllowlist: z.array(z.string()),
  sessionMaxAgeSeconds: z.number().int().nullable(),
  sessionIdleSeconds: z.number().int().nullable(),
});

export type SignInPolicyView = z.infer<typeof signInPolicyViewSchema>;

/** The stored policy (absent fields = off) as the full view. */
export function policyView(p: SignInPolicy | null | undefined): SignInPolicyView {
  return {
    requireMfa: p?.requireMfa === true,
    ipAllowlist: p?.ipAllowlist ?? [],
    consoleIpAllowlist: p?.consoleIpAllowlist ?? [],
    sessionMaxAgeSeconds: p?.sessionMaxAgeSeconds ?? null,
    sessionIdleSeconds: p?.sessionIdleSeconds ?? null,
  };
}

/** A parsed input as what is stored: only the restrictions that are on. */
export function toStoredPolicy(v: z.output<typeof signInPolicyInputSchema>): SignInPolicy {
  const p: SignInPolicy = {};
  if (v.requireMfa) p.requireMfa = true;
  if (v.ipAllowlist?.length) p.ipAllowlist = v.ipAllowlist;
  if (v.consoleIpAllowlist?.length) p.consoleIpAllowlist = v.consoleIpAllowlist;
  if (v.sessionMaxAgeSeconds != null) p.sessionMaxAgeSeconds = v.sessionMaxAgeSeconds;
  if (v.sessionIdleSeconds != null) p.sessionIdleSeconds = v.sessionIdleSeconds;
  return p;
}
