/**
 * Adds `<samlp:RequestedAuthnContext>` to an AuthnRequest built by the library's SAML engine
 * (lib/sso/saml/request.ts), which has no option for it. Pure (no I/O). With a key, any old
 * enveloped signature is removed and the request is signed (RSA-SHA256, exclusive C14N, after the
 * Issuer) for the HTTP-POST binding; without one it stays unsigned, for the HTTP-Redirect binding,
 * whose signature is over the query string. The request ID is kept.
 *
 * Comparison is "exact" (the SAML default and what IdPs implement everywhere): "minimum" asks the
 * IdP to rank contexts by strength, which most IdPs cannot do for these class URIs (ADFS only ranks
 * what its Authentication Context Order lists; others treat it as exact or refuse). Listing several
 * MFA classes under "exact" lets each IdP answer with the one it knows. The portal checks the
 * answer itself in any case.
 */
import { DOMParser, XMLSerializer, type Element as XmlElement } from '@xmldom/xmldom';
import { signMessage } from '../sso/saml/sign';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

/** Elements that follow RequestedAuthnContext in the AuthnRequest schema sequence. */
const AFTER = new Set(['Scoping']);

export type RequestedContext = { classRefs: readonly string[]; comparison?: 'exact' | 'minimum' | 'better' | 'maximum' };

export function addRequestedAuthnContext(xml: string, ctx: RequestedContext, key: { privateKeyPem: string; certPem: string } | null): string {
  if (!ctx.classRefs.length) throw new Error('no AuthnContextClassRef to request');
  const doc = new DOMParser({ onError: (level, msg) => { if (level !== 'warning') throw new Error(`AuthnRequest XML: ${msg}`); } }).parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== SAMLP || root.localName !== 'AuthnRequest') throw new Error('not a samlp:AuthnRequest');
  const kids = () => Array.from(root.childNodes).filter((n): n is XmlElement => n.nodeType === 1) as XmlElement[];
  for (const el of kids()) {
    if (el.namespaceURI === DS && el.localName === 'Signature') root.removeChild(el);
    else if (el.namespaceURI === SAMLP && el.localName === 'RequestedAuthnContext') root.removeChild(el);
  }
  const rac = doc.createElementNS(SAMLP, `${root.prefix ? `${root.prefix}:` : ''}RequestedAuthnContext`);
  rac.setAttribute('Comparison', ctx.comparison ?? 'exact');
  for (const ref of ctx.classRefs) {
    const el = doc.createElementNS(SAML, 'saml:AuthnContextClassRef');
    el.appendChild(doc.createTextNode(ref));
    rac.appendChild(el);
  }
  const before = kids().find((el) => el.namespaceURI === SAMLP && AFTER.has(el.localName ?? ''));
  if (before) root.insertBefore(rac, before);
  else root.appendChild(rac);
  const unsigned = new XMLSerializer().serializeToString(doc);
  // HTTP-Redirect: the query string is signed instead (lib/sso/saml/request.ts).
  if (!key) return unsigned;

  return signMessage(unsigned, key);
}
