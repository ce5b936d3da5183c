import 'server-only';
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import type { Connection } from '../../db/schema';
import { env } from '../../env';
import { AppError } from '../../errors';
import { checkBrowserUrl } from '../../http/safe-fetch';
import { addRequestedAuthnContext, type RequestedContext } from '../../policies/authn-request';
import { sp } from '../sp';
import { sso } from '../jackson';
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
  /** HTTP-Redirect: the IdP's SSO location with the signed query. HTTP-POST: the location to post to. */
  location: URL;
  /** HTTP-POST only: the form fields (the request carries an enveloped XML signature). */
  postFields: { SAMLRequest: string; RelayState: string } | null;
};

export const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

const privateKeys = new Map<string, KeyObject>();
const keyObject = (pem: string) => {
  let k = privateKeys.get(pem);
  if (!k) {
    if (privateKeys.size > 8) privateKeys.clear();
    privateKeys.set(pem, (k = createPrivateKey(pem)));
  }
  return k;
};

/**
 * A SAML message for the HTTP-Redirect binding (SAML bindings 3.4.4.1): deflated and base64 in the
 * query, signed over the query string itself (`SAMLRequest|SAMLResponse`, `RelayState`, `SigAlg`,
 * URL-encoded as sent) with RSA-SHA256, never with a signature inside the XML.
 */
export function redirectWithSignature(location: URL, param: 'SAMLRequest' | 'SAMLResponse', xml: string, relayState: string | null, privateKeyPem: string): URL {
  const message = deflateRawSync(Buffer.from(xml)).toString('base64');
  const signed =
    `${param}=${encodeURIComponent(message)}` + (relayState ? `&RelayState=${encodeURIComponent(relayState)}` : '') + `&SigAlg=${encodeURIComponent(RSA_SHA256)}`;
  const signature = sign('sha256', Buffer.from(signed), keyObject(privateKeyPem)).toString('base64');
  const href = location.href.replace(/#.*$/, '');
  return new URL(`${href}${href.includes('?') ? '&' : '?'}${signed}&Signature=${encodeURIComponent(signature)}`);
}

/**
 * A signed AuthnRequest for this connection, built by the library's SAML engine: the portal's
 * entity ID and ACS, NameID format emailAddress, ForceAuthn when asked, and — when the tenant
 * requires MFA — a RequestedAuthnContext. HTTP-Redirect when the IdP offers it (signed in the
 * query), else HTTP-POST (an enveloped signature, added after the RequestedAuthnContext).
 */
export async function authnRequest(
  connection: Pick<Connection, 'clientId' | 'idp'>,
  relayState: string,
  opts: { forceAuthn?: boolean; requestedContext?: RequestedContext | null } = {},
): Promise<AuthnRequest> {
  const bindings = await idpBindings(connection);
  const raw = bindings.ssoRedirectUrl ?? bindings.ssoPostUrl;
  if (!raw) throw new AppError(400, 'invalid_url', 'the connection has no usable SSO location', [{ path: 'ssoUrl', message: 'no https SSO location' }]);
  const location = checkBrowserUrl(raw, { path: 'ssoUrl', allowLoopbackHttp: env().loopbackHttp });
  const redirect = !!bindings.ssoRedirectUrl;
  await sso();
  const key = await spSigningKey();
  const s = sp();
  // The XML is signed here only for HTTP-POST without a RequestedAuthnContext still to add.
  const signHere = !redirect && !opts.requestedContext;
  const built = engine.request({
    ssoUrl: location.href,
    entityID: s.entityId,
    callbackUrl: s.acsUrl,
    forceAuthn: !!opts.forceAuthn,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    // null, which the typings do not allow: no ProviderName attribute (undefined gives the engine's default name).
    providerName: null as never,
    signingKey: signHere ? key.privateKeyPem : '',
    publicKey: key.certPem,
  });
  const xml = opts.requestedContext ? addRequestedAuthnContext(built.request, opts.requestedContext, redirect ? null : key) : built.request;
  if (redirect) return { id: built.id, location: redirectWithSignature(location, 'SAMLRequest', xml, relayState, key.privateKeyPem), postFields: null };
  return { id: built.id, location, postFields: { SAMLRequest: Buffer.from(xml).toString('base64'), RelayState: relayState } };
}
