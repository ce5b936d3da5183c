import * as scimRoute from '@/app/api/scim/v2/[directoryId]/[[...path]]/route';
import * as directoriesRoute from '@/app/api/v1/tenants/[tenantId]/directories/route';
import * as tenantsRoute from '@/app/api/v1/tenants/route';
import { call, uniqueDomain } from './api';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type ScimAnswer = { status: number; body: any; headers: Headers };

/**
 * Calls the SCIM route handler like an IdP would: `path` is relative to the directory's scimUrl
 * (`/Users?filter=…`). `token: null` sends no Authorization header.
 */
export async function scimCall(
  dir: { id: string; bearerToken: string },
  method: Method,
  path: string,
  body?: unknown,
  opts: { token?: string | null; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<ScimAnswer> {
  const url = new URL(`http://localhost/api/scim/v2/${dir.id}${path}`);
  const segments = url.pathname.split('/').slice(5).filter(Boolean).map(decodeURIComponent);
  const headers: Record<string, string> = { 'content-type': 'application/scim+json', ...opts.headers };
  const token = opts.token === undefined ? dir.bearerToken : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const req = new Request(url, {
    method,
    headers,
    body: opts.rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const fn = scimRoute[method] as (r: Request, c: { params: Promise<{ directoryId: string; path: string[] }> }) => Promise<Response>;
  const res = await fn(req, { params: Promise.resolve({ directoryId: dir.id, path: segments }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Creates a tenant with one (operator-added) domain through the operator API. */
export async function scimTenant(label: string) {
  const domain = uniqueDomain(label.toLowerCase());
  const res = await call(tenantsRoute.POST, { method: 'POST', body: { name: `${label} ${domain}`, domains: [domain] } });
  if (res.status !== 201) throw new Error(`tenant create: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id as string, domain };
}

/** Creates a directory through the operator API; returns `{ id, name, scimUrl, bearerToken }`. */
export async function makeDirectory(tenantId: string, name = 'Directory', provider?: string) {
  const res = await call(directoriesRoute.POST, {
    method: 'POST',
    path: `/api/v1/tenants/${tenantId}/directories`,
    params: { tenantId },
    body: { name, ...(provider ? { provider } : {}) },
  });
  if (res.status !== 201) throw new Error(`directory create: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; scimUrl: string; bearerToken: string };
}

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const patch = (...Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });

/** The user Okta sends on create (password and an empty groups list included). */
export const oktaUser = (userName: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
  userName,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  emails: [{ primary: true, value: userName, type: 'work' }],
  displayName: 'Ada Lovelace',
  locale: 'en-US',
  externalId: `00u${Math.random().toString(36).slice(2, 12)}`,
  groups: [],
  password: 'Hunter2-Secret!',
  active: true,
  ...extra,
});

/** The user Entra ID sends on create: UPN as userName, a different work email, string booleans. */
export const entraUser = (upn: string, workEmail: string, extra: Record<string, unknown> = {}) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  externalId: `ext-${Math.random().toString(36).slice(2, 10)}`,
  userName: upn,
  active: 'True',
  displayName: 'Grace Hopper',
  emails: [{ primary: 'True', type: 'work', value: workEmail }],
  meta: { resourceType: 'User' },
  name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
  roles: [],
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '1001', department: 'Engineering' },
  ...extra,
});
