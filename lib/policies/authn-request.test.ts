import saml20 from '@boxyhq/saml20';
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { describe, expect, it } from 'vitest';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { addRequestedAuthnContext } from './authn-request';
import { SAML_MFA_REQUEST } from './mfa';

const key = createIdpKeyPair({ commonName: 'sp.test' });
const spKey = { privateKeyPem: key.privateKeyPem, certPem: key.certPem };

/** An AuthnRequest exactly as the SSO library builds and signs it. */
const libraryRequest = () =>
  (saml20 as unknown as typeof import('@boxyhq/saml20').default).request({
    ssoUrl: 'https://idp.test/sso',
    entityID: 'https://portal.test/.well-known/sp-metadata',
    callbackUrl: 'https://portal.test/api/oauth/saml',
    signingKey: key.privateKeyPem,
    publicKey: key.certPem,
  } as never) as { id: string; request: string };

function verify(xml: string, certPem: string): boolean {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const sigs = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature');
  expect(sigs.length).toBe(1);
  const v = new SignedXml({ publicCert: certPem });
  v.loadSignature(sigs[0] as never);
  try {
    return v.checkSignature(xml);
  } catch {
    return false; // xml-crypto throws for a signature value that does not verify
  }
}

describe('addRequestedAuthnContext', () => {
  it('adds the MFA classes (exact), keeps the request ID and signs again with the SP key', () => {
    const { id, request } = libraryRequest();
    expect(verify(request, key.certPem)).toBe(true);
    const out = addRequestedAuthnContext(request, { classRefs: SAML_MFA_REQUEST }, spKey);
    expect(verify(out, key.certPem)).toBe(true);
    const parsed = new TestSamlIdp({ entityId: 'https://idp.test', ssoUrl: 'https://idp.test/sso' }).parseAuthnRequest(Buffer.from(out).toString('base64'));
    expect(parsed.id).toBe(id);
    expect(parsed.requestedAuthnContext).toEqual({ comparison: 'exact', classRefs: [...SAML_MFA_REQUEST] });
    expect(parsed.acsUrl).toBe('https://portal.test/api/oauth/saml');
    // schema order: Issuer, Signature, NameIDPolicy, RequestedAuthnContext
    const names = Array.from(new DOMParser().parseFromString(out, 'text/xml').documentElement!.childNodes)
      .filter((n) => n.nodeType === 1)
      .map((n) => (n as unknown as { localName: string }).localName);
    expect(names).toEqual(['Issuer', 'Signature', 'NameIDPolicy', 'RequestedAuthnContext']);
  });

  it('the signature covers the requested context: changing it afterwards breaks the signature', () => {
    const out = addRequestedAuthnContext(libraryRequest().request, { classRefs: ['https://refeds.org/profile/mfa'] }, spKey);
    const tampered = out.replace('https://refeds.org/profile/mfa', 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password');
    expect(tampered).not.toBe(out);
    expect(verify(tampered, key.certPem)).toBe(false);
    const other = createIdpKeyPair({ commonName: 'other' });
    expect(verify(out, other.certPem)).toBe(false);
  });

  it('replaces an existing RequestedAuthnContext rather than adding a second one', () => {
    const once = addRequestedAuthnContext(libraryRequest().request, { classRefs: ['urn:a'] }, spKey);
    const twice = addRequestedAuthnContext(once, { classRefs: ['urn:b'], comparison: 'minimum' }, spKey);
    expect(twice.match(/RequestedAuthnContext /g)).toHaveLength(1);
    expect(twice).toContain('Comparison="minimum"');
    expect(twice).not.toContain('urn:a');
    expect(verify(twice, key.certPem)).toBe(true);
  });

  it('refuses what is not an AuthnRequest', () => {
    expect(() => addRequestedAuthnContext('<x/>', { classRefs: ['urn:a'] }, spKey)).toThrow(/AuthnRequest/);
    expect(() => addRequestedAuthnContext(libraryRequest().request, { classRefs: [] }, spKey)).toThrow();
  });
});
