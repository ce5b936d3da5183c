import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';

/**
 * An enveloped RSA-SHA256 signature (exclusive C14N) over a SAML protocol message's element,
 * placed after its Issuer, for the HTTP-POST binding: the portal's AuthnRequests with a
 * RequestedAuthnContext, LogoutRequests and LogoutResponses. Pure.
 */
export function signMessage(xml: string, key: { privateKeyPem: string; certPem: string }): string {
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!root || root.namespaceURI !== SAMLP) throw new Error('not a SAML protocol message');
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: `/*[local-name(.)="${root.localName}" and namespace-uri(.)="${SAMLP}"]`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: `/*/*[local-name(.)="Issuer" and namespace-uri(.)="${SAML}"]`, action: 'after' } });
  return sig.getSignedXml();
}
