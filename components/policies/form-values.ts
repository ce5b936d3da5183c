import type { SignInPolicyInput } from '@/lib/policies/schema';

/** The console form's values: lists as one range per line, durations as a number and a unit. */
export type PolicyFormValues = {
  requireMfa: boolean;
  ipAllowlist: string;
  consoleIpAllowlist: string;
  maxAge: string;
  maxAgeUnit: Unit;
  idle: string;
  idleUnit: Unit;
};

export const UNITS = [
  { unit: 'minutes', seconds: 60 },
  { unit: 'hours', seconds: 3600 },
  { unit: 'days', seconds: 86400 },
] as const;
export type Unit = (typeof UNITS)[number]['unit'];

const lines = (s: string) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

function seconds(value: string, unit: Unit): number | null {
  if (!value.trim()) return null;
  const n = Number(value);
  const size = UNITS.find((u) => u.unit === unit)?.seconds ?? 60;
  return Number.isFinite(n) ? Math.round(n * size) : Number.NaN;
}

/** Form values → the API's body (validated by the same schema as the API). */
export function toPolicyInput(v: PolicyFormValues): SignInPolicyInput {
  return {
    requireMfa: !!v.requireMfa,
    ipAllowlist: lines(v.ipAllowlist),
    consoleIpAllowlist: lines(v.consoleIpAllowlist),
    sessionMaxAgeSeconds: seconds(v.maxAge, v.maxAgeUnit),
    sessionIdleSeconds: seconds(v.idle, v.idleUnit),
  };
}

/** Seconds → the largest unit that divides them ('' when off). */
export function fromSeconds(s: number | null): { value: string; unit: Unit } {
  if (!s) return { value: '', unit: 'hours' };
  const u = [...UNITS].reverse().find((x) => s % x.seconds === 0) ?? UNITS[0];
  return { value: String(s / u.seconds), unit: u.unit };
}

const FIELDS: Record<string, keyof PolicyFormValues> = {
  requireMfa: 'requireMfa',
  ipAllowlist: 'ipAllowlist',
  consoleIpAllowlist: 'consoleIpAllowlist',
  sessionMaxAgeSeconds: 'maxAge',
  sessionIdleSeconds: 'idle',
};

/** An error path of the schema or the API (`ipAllowlist.2`) → the form field and a message naming the line. */
export function policyFieldOf(path: string, message: string): { field: keyof PolicyFormValues | 'root'; message: string } {
  const [head, index] = path.split('.');
  const field = FIELDS[head];
  if (!field) return { field: 'root', message };
  if (index !== undefined && /^\d+$/.test(index)) return { field, message: `Line ${Number(index) + 1}: ${message}` };
  return { field, message };
}
