import 'server-only';
import { deflateRawSync } from 'node:zlib';
import type { Connection } from '../../db/schema';
import { env } from '../../env';
import { AppError } from '../../errors';
import { checkBrowserUrl } from '../../http/safe-fetch';
import { addRequestedAuthnContext, type RequestedContext } from '../../policies/authn-request';
import { sp } from '../sp';
import { bindingsOf, libraryRecord } from './certificates';
import { engine } from './engine';
import type { IdpBindings } from './metadata';

/** The SP signing key: the SSO library's SP certificate, kept in its store. */
export async function spSigningKey(): Promise<{ privateKeyPem: string; certPem: string }> {
  const x509 = (await import('@boxyhq/saml-jackson/dist/saml/x509')) as unknown as {
    getDefaultCertificate?: () => Promise<{ publicKey: string; privateKey: string }>;
    default?: { getDefaultCertificate: () => Promise<{ publicKey: string; privateKey: string }> };
  };
  const get = x509.getDefaultCertificate ?? x509.default?.getDefaultCertificate;
  if (!get) throw new Error('the SSO library exposes no SP certificate');
  const c = await get();
  return { privateKeyPem: c.privateKey, certPem: c.publicKey };
}

/** The IdP's SSO service locations: on the connection row since the metadata was last read, else from the library's record. */
export async function idpBindings(connection: Pick<Connection, 'clientId' | 'idp'>): Promise<IdpBindings> {
  if (connection.idp.bindings) return connection.idp.bindings;
  const rec = await libraryRecord(connection.clientId);
  if (!rec) throw new Error('the SSO library has no record of this connection');
  return bindingsOf(rec);
}

export type AuthnRequest = {
  /** The request's ID: the InResponseTo the answer must carry. */
  id: string;
  /** The IdP's SSO location, checked as every browser-facing URL. */
  location: URL;
  /** HTTP-Redirect (deflated, in the query) when the IdP offers it, else HTTP-POST. */
  binding: 'redirect' | 'post';
  /** The SAMLRequest parameter, encoded for its binding. */
  samlRequest: string;
};

/**
 * A signed AuthnRequest for this connection, built by the library's SAML engine: the portal's
 * entity ID and ACS, NameID format emailAddress, ForceAuthn when asked, and — when the tenant
 * requires MFA — a RequestedAuthnContext (signed once, after it is added).
 */
export async function authnRequest(
  connection: Pick<Connection, 'clientId' | 'idp'>,
  opts: { forceAuthn?: boolean; requestedContext?: RequestedContext | null } = {},
): Promise<AuthnRequest> {
  const bindings = await idpBindings(connection);
  const raw = bindings.ssoRedirectUrl ?? bindings.ssoPostUrl;
  if (!raw) throw new AppError(400, 'invalid_url', 'the connection has no usable SSO location', [{ path: 'ssoUrl', message: 'no https SSO location' }]);
  const location = checkBrowserUrl(raw, { path: 'ssoUrl', allowLoopbackHttp: env().loopbackHttp });
  const binding = bindings.ssoRedirectUrl ? 'redirect' : 'post';
  const key = await spSigningKey();
  const s = sp();
  const built = engine.request({
    ssoUrl: location.href,
    entityID: s.entityId,
    callbackUrl: s.acsUrl,
    forceAuthn: !!opts.forceAuthn,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    providerName: null as never,
    // Signed here unless a RequestedAuthnContext is still to be added (it signs then).
    signingKey: opts.requestedContext ? '' : key.privateKeyPem,
    publicKey: key.certPem,
  });
  const xml = opts.requestedContext ? addRequestedAuthnContext(built.request, opts.requestedContext, key) : built.request;
  const samlRequest = binding === 'redirect' ? deflateRawSync(Buffer.from(xml)).toString('base64') : Buffer.from(xml).toString('base64');
  return { id: built.id, location, binding, samlRequest };
}
