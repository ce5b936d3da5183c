import 'server-only';
import { createHash } from 'node:crypto';
import * as engineModule from '@boxyhq/saml20';
import type { SamlFailureReason } from './checks';

/**
 * The SSO library's SAML engine (`@boxyhq/saml20`, the package `@boxyhq/saml-jackson` itself
 * runs), called directly: it builds AuthnRequests and is the second, independent validator of
 * every response the portal's own checks (./checks.ts) accepted. Both must accept.
 */
type Engine = (typeof engineModule)['default'];
const mod = engineModule as unknown as { default?: Engine & { default?: Engine } } & Engine;
// CommonJS with `__esModule`: the functions sit on `default` (bundled) or `default.default` (Node's own ESM loader).
export const engine: Engine = (mod.default?.validate ? mod.default : (mod.default?.default ?? mod)) as Engine;

/** A certificate as the engine takes it: the base64 DER body of the PEM. */
export const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

export type EngineProfile = {
  id?: string;
  email?: string | string[];
  firstName?: string | string[];
  lastName?: string | string[];
  groups?: string[];
  roles?: string[];
  raw: Record<string, unknown>;
};

export class EngineRefusal extends Error {
  constructor(
    readonly reason: SamlFailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'EngineRefusal';
  }
}

/** The engine's error messages (response.js) as the portal's failure reasons. */
function reasonOf(message: string): SamlFailureReason {
  if (/expired/i.test(message)) return 'expired';
  if (/audience/i.test(message)) return 'audience_mismatch';
  if (/InResponseTo/.test(message)) return 'in_response_to_mismatch';
  if (/Status Code/i.test(message)) return 'status_not_success';
  if (/signature|Invalid assertion\.|certificate/i.test(message)) return 'signature_invalid';
  return 'malformed_response';
}

const ARRAY_CLAIMS = [
  ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
  ['groups', 'http://schemas.xmlsoap.org/claims/Group'],
] as const;
const CLAIMS = [
  ['id', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier'],
  ['email', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress'],
  ['firstName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname'],
  ['lastName', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname'],
  ...ARRAY_CLAIMS,
] as const;

/**
 * The engine's claims as the profile the library's OAuth layer made of them (so sign-ins keep
 * the attributes they always had): the short name, else the claim URI; roles and groups as
 * lists; `id` falls back to the SHA-256 of the email.
 */
export function profileOfClaims(claims: Record<string, unknown>): EngineProfile {
  const raw: Record<string, unknown> = { ...claims };
  for (const [name, uri] of ARRAY_CLAIMS) {
    if (raw[name]) raw[name] = ([] as unknown[]).concat(raw[name]);
    else if (raw[uri]) raw[uri] = ([] as unknown[]).concat(raw[uri]);
  }
  const profile: Record<string, unknown> = { raw };
  for (const [name, uri] of CLAIMS) {
    if (raw[name]) profile[name] = raw[name];
    else if (raw[uri]) profile[name] = raw[uri];
  }
  if (!profile.id && typeof profile.email === 'string') profile.id = createHash('sha256').update(profile.email).digest('hex');
  return profile as EngineProfile;
}

/**
 * The engine's validation of a decoded SAMLResponse: signature against the connection's
 * certificates, status, audience, times and InResponseTo as it implements them. Returns the
 * profile it read; throws EngineRefusal when it refuses.
 */
export async function engineValidate(
  xml: string,
  opts: { certificates: string[]; audience: string; inResponseTo: string | null; decryptionKeyPem?: string },
): Promise<{ profile: EngineProfile; issuer: string | undefined; sessionIndex: string | undefined }> {
  const certs = opts.certificates.map(certBody).filter(Boolean);
  if (!certs.length) throw new EngineRefusal('signature_invalid', 'the connection has no certificate');
  let out: Awaited<ReturnType<Engine['validate']>>;
  try {
    out = await engine.validate(xml, {
      publicKey: certs.join(','),
      audience: opts.audience,
      ...(opts.inResponseTo ? { inResponseTo: opts.inResponseTo } : {}),
      ...(opts.decryptionKeyPem ? { privateKey: opts.decryptionKeyPem } : {}),
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new EngineRefusal(reasonOf(message), `the SAML engine refused the response: ${message.slice(0, 200)}`);
  }
  if (!out?.claims) throw new EngineRefusal('malformed_response', 'the SAML engine read no claims');
  return { profile: profileOfClaims(out.claims), issuer: out.issuer, sessionIndex: out.sessionIndex };
}
