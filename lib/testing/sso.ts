import { expect } from 'vitest';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import { SYSTEM } from '@/lib/audit/types';
import { createConnection } from '@/lib/dal/connections';
import { createTenant, setProvisioning } from '@/lib/dal/tenants';
import { handleAcs, handleCallback } from '@/lib/sso/flow';
import { sp } from '@/lib/sso/sp';
import { startSsoFromRequest } from '@/lib/sso/start';
import { uniqueDomain } from './api';

export const meta = { ip: '203.0.113.9', userAgent: 'vitest' };

/** A tenant with its own domain and a SAML connection to a fresh test IdP (with a single logout service when `sloUrl`). */
export async function samlTenant(opts: { strategy?: 'jit' | 'scim' | 'self_registration'; allowedDomains?: string[]; sloUrl?: boolean } = {}) {
  const domain = uniqueDomain('sso');
  const tenant = await createTenant(SYSTEM, { name: `SSO ${domain}`, domains: [domain] });
  const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso`, ...(opts.sloUrl ? { sloUrl: `https://idp.${domain}/slo` } : {}) });
  const connection = await createConnection(SYSTEM, tenant.id, { type: 'saml', metadataXml: idp.metadataXml() });
  if (opts.strategy) await setProvisioning(SYSTEM, tenant.id, { strategy: opts.strategy, allowedDomains: opts.allowedDomains });
  return { tenant, idp, connection, domain };
}

/** Starts a sign-in like a browser: /sso → (IdP) → returns what the ACS and callback need. */
export async function beginSignIn(email: string, opts: { ip?: string } = {}) {
  const headers: Record<string, string> = { 'x-forwarded-for': opts.ip ?? meta.ip };
  const res = await startSsoFromRequest(new Request(`http://localhost/sso?email=${encodeURIComponent(email)}&returnTo=/app?tab=me`, { headers }));
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { location, relayState: location.searchParams.get('RelayState')!, samlRequest: location.searchParams.get('SAMLRequest')!, cookie };
}

export const postToAcs = (samlResponse: string, relayState: string, m: typeof meta = meta) =>
  handleAcs(new URLSearchParams({ SAMLResponse: samlResponse, RelayState: relayState }), m);

/** A complete SP-initiated sign-in through the test IdP. */
export async function samlSignIn(
  idp: TestSamlIdp,
  email: string,
  attributes: Record<string, string | string[]> = {},
  opts: { ip?: string; acsIp?: string; authnContextClassRef?: string } = {},
) {
  const b = await beginSignIn(email, { ip: opts.ip });
  const req = idp.parseAuthnRequest(b.samlRequest);
  expect(req.acsUrl).toBe(sp().acsUrl);
  const samlResponse = idp.buildResponse({
    acsUrl: sp().acsUrl,
    audience: sp().entityId,
    inResponseTo: req.id,
    nameId: email,
    attributes: { email, firstName: 'Ada', lastName: 'Lovelace', ...attributes },
    ...(opts.authnContextClassRef ? { authnContextClassRef: opts.authnContextClassRef } : {}),
  });
  const acs = await postToAcs(samlResponse, b.relayState, { ...meta, ip: opts.acsIp ?? opts.ip ?? meta.ip });
  if (acs.status !== 303) return { acs, callback: null, request: req, location: b.location };
  const callbackUrl = new URL(acs.headers.get('location')!);
  const callback = await handleCallback(callbackUrl, b.cookie, meta);
  return { acs, callback, samlResponse, relayState: b.relayState, cookie: b.cookie, callbackUrl, request: req, location: b.location };
}
