import { z } from 'zod';
import { isLoopbackHost } from '../http/safe-fetch';
import { nameSchema } from './common';

/**
 * Input of `/api/v1/applications` (CONTRACT.md "Applications"). Redirect, post-logout and
 * back-channel logout URIs are absolute `https://` URLs, or `http://` on a loopback host (a product
 * running on a developer's machine); no fragment, no credentials; matched exactly, so they are
 * stored as given.
 */
const MAX_URIS = 20;

export function uriProblem(raw: string): string | null {
  if (/[\u0000-\u0020\u007f]/.test(raw)) return 'must be an absolute URL without spaces or control characters';
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopbackHost(u.hostname))) return 'must be an https:// URL (http:// only on a loopback host)';
  if (u.username || u.password) return 'must not contain credentials';
  if (u.hash || raw.includes('#')) return 'must not contain a fragment';
  if (raw.length > 2000) return 'must be at most 2000 characters';
  return null;
}

/**
 * A redirect URI as a URL (WHATWG form): how registered and requested URIs are compared, so that
 * two spellings of one URL are one (`https://app.example` and `https://app.example/`: the provider
 * sends the browser to the second, and a client may send either). Anything else stays exact.
 */
export function canonicalUri(raw: string): string {
  try {
    return new URL(raw).href;
  } catch {
    return raw;
  }
}

/** A refused URI is named in its error (at most 200 characters of it, as JSON quotes it). */
const uriSchema = z.string({ error: 'must be a string' }).superRefine((s, ctx) => {
  const p = uriProblem(s);
  if (p) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s)} ${p}` });
});

const uriListSchema = (min: number) =>
  z
    .array(uriSchema, { error: 'must be an array of URLs' })
    .min(min, 'give at least one redirect URI')
    .max(MAX_URIS, `at most ${MAX_URIS} URIs`)
    .refine((l) => new Set(l).size === l.length, 'must not repeat a URI');

const tenantIdsSchema = z
  .array(z.string().min(1).max(64), { error: 'must be an array of tenant IDs or null' })
  .max(1000)
  .refine((l) => new Set(l).size === l.length, 'must not repeat a tenant')
  .nullable();

export const applicationCreateSchema = z.strictObject({
  name: nameSchema,
  redirectUris: uriListSchema(1),
  postLogoutRedirectUris: uriListSchema(0).optional(),
  backchannelLogoutUri: uriSchema.nullable().optional(),
  /** OIDC Core 4 (third-party initiated login): the portal's launcher (/app) sends signed-in users here with `iss` and `login_hint`. */
  initiateLoginUri: uriSchema.nullable().optional(),
  type: z.enum(['confidential', 'public'], { error: 'must be "confidential" or "public"' }).optional(),
  tenantIds: tenantIdsSchema.optional(),
});
export type ApplicationCreate = z.infer<typeof applicationCreateSchema>;

export const applicationPatchSchema = applicationCreateSchema.partial();
export type ApplicationPatch = z.infer<typeof applicationPatchSchema>;

export const applicationSchema = z.object({
  id: z.string(),
  name: z.string(),
  clientId: z.string(),
  type: z.enum(['confidential', 'public']),
  redirectUris: z.array(z.string()),
  postLogoutRedirectUris: z.array(z.string()),
  backchannelLogoutUri: z.string().nullable(),
  initiateLoginUri: z.string().nullable(),
  tenantIds: z.array(z.string()).nullable(),
  createdAt: z.string().meta({ format: 'date-time' }),
});
export type ApplicationView = z.infer<typeof applicationSchema>;

export const applicationCreatedSchema = applicationSchema.extend({ clientSecret: z.string().optional() });
export const applicationParams = z.object({ applicationId: z.string().min(1).max(64) });

/** The console's application form: URIs typed one per line, "" for no back-channel or initiate-login URI; then the API's rules. */
export const applicationFormSchema = z.preprocess((raw) => {
  const v = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const text = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  return {
    name: v.name,
    ...(v.type !== undefined ? { type: v.type } : {}),
    redirectUris: lines(text('redirectUris')),
    postLogoutRedirectUris: lines(text('postLogoutRedirectUris')),
    backchannelLogoutUri: text('backchannelLogoutUri').trim() || null,
    initiateLoginUri: text('initiateLoginUri').trim() || null,
    tenantIds: v.restrictTenants === true ? (Array.isArray(v.tenantIds) ? v.tenantIds : []) : null,
  };
}, applicationCreateSchema);

function lines(s: string): string[] {
  return s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
