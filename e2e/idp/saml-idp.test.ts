import { createPrivateKey, X509Certificate } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { type Document as XmlDocument, type Element as XmlElement } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACK_REASONS, attackResponses, type SamlAttack } from './attacks';
import {
  type BuildResponseOptions,
  childElements,
  createIdpKeyPair,
  DIGEST_ALGORITHMS,
  type IdpKeyPair,
  NAMEID_FORMAT_EMAIL,
  NS,
  parseXml,
  SIGNATURE_ALGORITHMS,
  startSamlIdpServer,
  TestSamlIdp,
} from './saml-idp';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers
// ---------------------------------------------------------------------------------------------

const SP_ENTITY_ID = 'https://portal.test/saml/sp';
const ACS_URL = 'https://portal.test/api/sso/saml/acs';
const REQUEST_ID = '_request-4f1c';
const MINUTE = 60_000;

let idp: TestSamlIdp;
let otherKey: IdpKeyPair;

beforeAll(() => {
  idp = new TestSamlIdp({ entityId: 'https://idp.test/metadata', ssoUrl: 'http://127.0.0.1:7999/sso' });
  otherKey = createIdpKeyPair({ commonName: 'other.test' });
});

function baseOptions(overrides: Partial<BuildResponseOptions> = {}): BuildResponseOptions {
  return {
    acsUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    inResponseTo: REQUEST_ID,
    nameId: 'alice@example.com',
    attributes: { email: 'alice@example.com', groups: ['admins', 'staff'] },
    ...overrides,
  };
}

const decode = (samlResponse: string) => Buffer.from(samlResponse, 'base64').toString('utf8');

/** Element children in document order, as "prefix:local" names. */
function childNames(el: XmlElement): string[] {
  const out: string[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push((n as XmlElement).nodeName);
  return out;
}

function one(parent: XmlElement | XmlDocument, ns: string, localName: string): XmlElement {
  const found = parent.getElementsByTagNameNS(ns, localName);
  expect(found.length, `exactly one ${localName}`).toBe(1);
  return found[0]!;
}

function assertionsOf(doc: XmlDocument): XmlElement[] {
  return Array.from(doc.getElementsByTagNameNS(NS.saml, 'Assertion'));
}

function nameIdText(assertion: XmlElement): string {
  return childElements(childElements(assertion, NS.saml, 'Subject')[0]!, NS.saml, 'NameID')[0]!.textContent ?? '';
}

interface Verification {
  valid: boolean;
  error?: string;
  /** Canonical XML of what the signature covers (only when valid). */
  signedReferences: string[];
  /** The Reference URI, without '#'. */
  referencedId: string;
}

/**
 * Verifies one ds:Signature with xml-crypto against a trusted certificate (never the KeyInfo one,
 * unless `certPem` is taken from it). xml-crypto 6 reports a digest mismatch by returning false
 * but a bad SignatureValue by throwing; both end up as `valid: false` here.
 */
function verify(xml: string, signature: XmlElement, certPem: string): Verification {
  const sx = new SignedXml({ publicCert: certPem });
  // xml-crypto bundles its own @xmldom/xmldom (0.8); the 0.9 node is duck-type compatible.
  sx.loadSignature(signature as unknown as Node);
  const referencedId = (one(signature, NS.ds, 'Reference').getAttribute('URI') ?? '').replace(/^#/, '');
  try {
    const valid = sx.checkSignature(xml);
    return { valid, signedReferences: valid ? sx.getSignedReferences() : [], referencedId };
  } catch (err) {
    return { valid: false, error: String(err), signedReferences: [], referencedId };
  }
}

function signaturesIn(doc: XmlDocument): XmlElement[] {
  return Array.from(doc.getElementsByTagNameNS(NS.ds, 'Signature'));
}

function elementById(doc: XmlDocument, id: string): XmlElement | undefined {
  return Array.from(doc.getElementsByTagName('*')).find((el) => el.getAttribute('ID') === id);
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

describe('createIdpKeyPair', () => {
  it('creates a self-signed RSA-2048 / SHA-256 certificate whose base64 is its DER', () => {
    const kp = createIdpKeyPair({ commonName: 'idp.example.test' });
    const cert = new X509Certificate(kp.certPem);
    expect(cert.subject).toBe('CN=idp.example.test');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(kp.privateKeyPem))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(Buffer.from(kp.certBase64, 'base64').equals(cert.raw)).toBe(true);
    expect(kp.certBase64).not.toMatch(/\s/);
    const now = Date.now();
    expect(new Date(cert.validFrom).getTime()).toBeLessThanOrEqual(now);
    expect(new Date(cert.validTo).getTime()).toBeGreaterThan(now + 300 * 24 * 60 * MINUTE);
    // sha256WithRSAEncryption: OID 1.2.840.113549.1.1.11 (06 09 2a 86 48 86 f7 0d 01 01 0b).
    expect(cert.raw.includes(Buffer.from('06092a864886f70d01010b', 'hex'))).toBe(true);
  });

  it('can create an already-expired certificate', () => {
    const notBefore = new Date(Date.now() - 10 * 24 * 60 * MINUTE);
    const kp = createIdpKeyPair({ commonName: 'expired.test', notBefore, validDays: 1 });
    const cert = new X509Certificate(kp.certPem);
    expect(new Date(cert.validTo).getTime()).toBeLessThan(Date.now());
    expect(Math.abs(new Date(cert.validFrom).getTime() - notBefore.getTime())).toBeLessThan(1000);
  });
});

// ---------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------

describe('metadataXml', () => {
  it('describes the IdP with its signing certificate and both SSO bindings', () => {
    const doc = parseXml(idp.metadataXml());
    const entity = doc.documentElement!;
    expect(entity.namespaceURI).toBe(NS.md);
    expect(entity.localName).toBe('EntityDescriptor');
    expect(entity.getAttribute('entityID')).toBe(idp.entityId);

    const descriptor = one(doc, NS.md, 'IDPSSODescriptor');
    expect(descriptor.getAttribute('protocolSupportEnumeration')).toBe(NS.samlp);

    const keyDescriptor = one(descriptor, NS.md, 'KeyDescriptor');
    expect(keyDescriptor.getAttribute('use')).toBe('signing');
    const certText = one(keyDescriptor, NS.ds, 'X509Certificate').textContent ?? '';
    expect(certText).toBe(idp.certBase64);
    expect(new X509Certificate(Buffer.from(certText, 'base64')).fingerprint256).toBe(
      new X509Certificate(idp.certPem).fingerprint256,
    );

    expect(one(descriptor, NS.md, 'NameIDFormat').textContent).toBe(NAMEID_FORMAT_EMAIL);
    const services = childElements(descriptor, NS.md, 'SingleSignOnService').map((s) => [
      s.getAttribute('Binding'),
      s.getAttribute('Location'),
    ]);
    expect(services).toEqual([
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', idp.ssoUrl],
      ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST', idp.ssoUrl],
    ]);
    // Schema order within IDPSSODescriptor.
    expect(childNames(descriptor)).toEqual([
      'md:KeyDescriptor',
      'md:NameIDFormat',
      'md:SingleSignOnService',
      'md:SingleSignOnService',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// AuthnRequest
// ---------------------------------------------------------------------------------------------

function authnRequestXml(id: string, acsUrl?: string): string {
  return (
    `<samlp:AuthnRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${id}" Version="2.0" ` +
    `IssueInstant="2030-01-01T00:00:00Z" Destination="${idp.ssoUrl}" ` +
    `ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"` +
    (acsUrl ? ` AssertionConsumerServiceURL="${acsUrl}"` : '') +
    `><saml:Issuer>${SP_ENTITY_ID}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="${NAMEID_FORMAT_EMAIL}" AllowCreate="true"/></samlp:AuthnRequest>`
  );
}

function redirectEncode(xml: string): string {
  return deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
}

describe('parseAuthnRequest', () => {
  it('round-trips an HTTP-Redirect (deflated) request', () => {
    const parsed = idp.parseAuthnRequest(redirectEncode(authnRequestXml('_abc123', ACS_URL)));
    expect(parsed).toMatchObject({
      id: '_abc123',
      acsUrl: ACS_URL,
      issuer: SP_ENTITY_ID,
      destination: idp.ssoUrl,
      forceAuthn: false,
    });
  });

  it('accepts the value as it arrives through a URL (still encoded, or with + turned into spaces)', () => {
    const encoded = redirectEncode(authnRequestXml('_url', ACS_URL));
    expect(idp.parseAuthnRequest(encodeURIComponent(encoded)).id).toBe('_url');
    expect(idp.parseAuthnRequest(encoded.replace(/\+/g, ' ')).id).toBe('_url');
    // Through a real query string.
    const url = new URL(`${idp.ssoUrl}?${new URLSearchParams({ SAMLRequest: encoded, RelayState: 'r' })}`);
    expect(idp.parseAuthnRequest(url.searchParams.get('SAMLRequest')!).id).toBe('_url');
  });

  it('accepts an HTTP-POST (not deflated) request and a request without ACS URL', () => {
    const parsed = idp.parseAuthnRequest(Buffer.from(authnRequestXml('_post')).toString('base64'));
    expect(parsed.id).toBe('_post');
    expect(parsed.acsUrl).toBeUndefined();
  });

  it('rejects a DOCTYPE and non-AuthnRequest documents', () => {
    const withDoctype = `<!DOCTYPE x [<!ENTITY e "e">]>${authnRequestXml('_dt', ACS_URL)}`;
    expect(() => idp.parseAuthnRequest(redirectEncode(withDoctype))).toThrow(/DOCTYPE/);
    expect(() => idp.parseAuthnRequest(redirectEncode(`<samlp:Response xmlns:samlp="${NS.samlp}" ID="_r"/>`))).toThrow(
      /AuthnRequest/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

describe('buildResponse', () => {
  it('produces a response whose assertion signature verifies with the IdP certificate only', () => {
    const xml = decode(idp.buildResponse(baseOptions()));
    const doc = parseXml(xml);
    const assertion = one(doc, NS.saml, 'Assertion');
    const signature = one(doc, NS.ds, 'Signature');
    expect(signature.parentNode).toBe(assertion);

    const ok = verify(xml, signature, idp.certPem);
    expect(ok.error).toBeUndefined();
    expect(ok.valid).toBe(true);
    expect(ok.referencedId).toBe(assertion.getAttribute('ID'));
    expect(ok.signedReferences).toHaveLength(1);
    expect(ok.signedReferences[0]).toContain('>alice@example.com</saml:NameID>');
    expect(ok.signedReferences[0]).not.toContain('Signature');

    expect(verify(xml, signature, otherKey.certPem).valid).toBe(false);
  });

  it('places the enveloped signature right after the Issuer, with the expected algorithms and KeyInfo', () => {
    const doc = parseXml(decode(idp.buildResponse(baseOptions())));
    const response = doc.documentElement!;
    expect(childNames(response)).toEqual(['saml:Issuer', 'samlp:Status', 'saml:Assertion']);
    const assertion = one(doc, NS.saml, 'Assertion');
    expect(childNames(assertion)).toEqual([
      'saml:Issuer',
      'ds:Signature',
      'saml:Subject',
      'saml:Conditions',
      'saml:AuthnStatement',
      'saml:AttributeStatement',
    ]);
    const signature = one(doc, NS.ds, 'Signature');
    expect(one(signature, NS.ds, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    );
    expect(one(signature, NS.ds, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIGNATURE_ALGORITHMS.sha256);
    expect(one(signature, NS.ds, 'DigestMethod').getAttribute('Algorithm')).toBe(DIGEST_ALGORITHMS.sha256);
    expect(
      Array.from(signature.getElementsByTagNameNS(NS.ds, 'Transform')).map((t) => t.getAttribute('Algorithm')),
    ).toEqual(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#']);
    expect(one(signature, NS.ds, 'X509Certificate').textContent).toBe(idp.certBase64);
  });

  it('writes subject, conditions, authn statement and attributes as asked', () => {
    const issueInstant = new Date('2030-05-01T12:00:00.123Z');
    const doc = parseXml(
      decode(
        idp.buildResponse(
          baseOptions({
            issueInstant,
            sessionIndex: '_session-1',
            attributes: {
              email: 'alice@example.com',
              groups: ['admins', 'staff'],
              'urn:oid:2.5.4.42': { values: 'Alice', friendlyName: 'givenName' },
            },
          }),
        ),
      ),
    );
    const response = doc.documentElement!;
    expect(response.getAttribute('Destination')).toBe(ACS_URL);
    expect(response.getAttribute('InResponseTo')).toBe(REQUEST_ID);
    expect(response.getAttribute('IssueInstant')).toBe('2030-05-01T12:00:00Z');
    expect(one(doc, NS.samlp, 'StatusCode').getAttribute('Value')).toBe('urn:oasis:names:tc:SAML:2.0:status:Success');

    const nameId = one(doc, NS.saml, 'NameID');
    expect(nameId.textContent).toBe('alice@example.com');
    expect(nameId.getAttribute('Format')).toBe(NAMEID_FORMAT_EMAIL);
    expect(one(doc, NS.saml, 'SubjectConfirmation').getAttribute('Method')).toBe('urn:oasis:names:tc:SAML:2.0:cm:bearer');
    const scd = one(doc, NS.saml, 'SubjectConfirmationData');
    expect(scd.getAttribute('Recipient')).toBe(ACS_URL);
    expect(scd.getAttribute('InResponseTo')).toBe(REQUEST_ID);
    expect(scd.getAttribute('NotOnOrAfter')).toBe('2030-05-01T12:05:00Z');

    const conditions = one(doc, NS.saml, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2030-05-01T12:00:00Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2030-05-01T12:05:00Z');
    expect(one(conditions, NS.saml, 'Audience').textContent).toBe(SP_ENTITY_ID);

    expect(one(doc, NS.saml, 'AuthnStatement').getAttribute('SessionIndex')).toBe('_session-1');
    expect(one(doc, NS.saml, 'AuthnContextClassRef').textContent).toBe(
      'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
    );

    const attributes = Array.from(doc.getElementsByTagNameNS(NS.saml, 'Attribute')).map((a) => ({
      name: a.getAttribute('Name'),
      friendlyName: a.getAttribute('FriendlyName'),
      values: Array.from(a.getElementsByTagNameNS(NS.saml, 'AttributeValue')).map((v) => v.textContent),
    }));
    expect(attributes).toEqual([
      { name: 'email', friendlyName: null, values: ['alice@example.com'] },
      { name: 'groups', friendlyName: null, values: ['admins', 'staff'] },
      { name: 'urn:oid:2.5.4.42', friendlyName: 'givenName', values: ['Alice'] },
    ]);
  });

  it('honours the overrides (no InResponseTo, recipient, destination, status, AuthnContextClassRef)', () => {
    const doc = parseXml(
      decode(
        idp.buildResponse(
          baseOptions({
            inResponseTo: undefined,
            recipient: 'https://r.test/acs',
            destination: null,
            statusCode: 'Requester',
            authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509',
          }),
        ),
      ),
    );
    expect(doc.documentElement!.hasAttribute('Destination')).toBe(false);
    expect(doc.documentElement!.hasAttribute('InResponseTo')).toBe(false);
    expect(one(doc, NS.saml, 'SubjectConfirmationData').hasAttribute('InResponseTo')).toBe(false);
    expect(one(doc, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient')).toBe('https://r.test/acs');
    expect(one(doc, NS.samlp, 'StatusCode').getAttribute('Value')).toBe('urn:oasis:names:tc:SAML:2.0:status:Requester');
    expect(one(doc, NS.saml, 'AuthnContextClassRef').textContent).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
  });

  it('escapes XML special characters in values', () => {
    const xml = decode(idp.buildResponse(baseOptions({ attributes: { note: 'a<b & "c"' }, audience: 'urn:x?a=1&b=2' })));
    const doc = parseXml(xml);
    expect(one(doc, NS.saml, 'AttributeValue').textContent).toBe('a<b & "c"');
    expect(one(doc, NS.saml, 'Audience').textContent).toBe('urn:x?a=1&b=2');
    expect(verify(xml, one(doc, NS.ds, 'Signature'), idp.certPem).valid).toBe(true);
  });

  it('can sign the response as well (assertion first, then response), or nothing', () => {
    const xml = decode(idp.buildResponse(baseOptions({ signResponse: true })));
    const doc = parseXml(xml);
    const response = doc.documentElement!;
    expect(childNames(response)).toEqual(['saml:Issuer', 'ds:Signature', 'samlp:Status', 'saml:Assertion']);
    const [responseSig, assertionSig] = signaturesIn(doc);
    expect(responseSig!.parentNode).toBe(response);
    expect(assertionSig!.parentNode).toBe(one(doc, NS.saml, 'Assertion'));
    const r = verify(xml, responseSig!, idp.certPem);
    expect(r.valid).toBe(true);
    expect(r.referencedId).toBe(response.getAttribute('ID'));
    // The response digest covers the signed assertion, its signature included.
    expect(r.signedReferences[0]).toContain('<ds:SignatureValue>');
    expect(verify(xml, assertionSig!, idp.certPem).valid).toBe(true);

    const unsigned = parseXml(decode(idp.buildResponse(baseOptions({ signAssertion: false }))));
    expect(signaturesIn(unsigned)).toHaveLength(0);
  });

  it('can use SHA-1 for signature and digest', () => {
    const xml = decode(idp.buildResponse(baseOptions({ signatureAlgorithm: 'sha1' })));
    const doc = parseXml(xml);
    expect(one(doc, NS.ds, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIGNATURE_ALGORITHMS.sha1);
    expect(one(doc, NS.ds, 'DigestMethod').getAttribute('Algorithm')).toBe(DIGEST_ALGORITHMS.sha1);
    expect(verify(xml, one(doc, NS.ds, 'Signature'), idp.certPem).valid).toBe(true);
  });

  it('a response signed with an expired certificate still verifies cryptographically', () => {
    const expiredIdp = new TestSamlIdp({
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      keyPair: createIdpKeyPair({ commonName: 'old', notBefore: new Date('2020-01-01'), validDays: 30 }),
    });
    const xml = decode(expiredIdp.buildResponse(baseOptions()));
    expect(verify(xml, one(parseXml(xml), NS.ds, 'Signature'), expiredIdp.certPem).valid).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Attack corpus
// ---------------------------------------------------------------------------------------------

describe('attackResponses', () => {
  const now = new Date();
  let attacks: SamlAttack[];
  let attacker: IdpKeyPair;
  const target = 'admin@example.com';

  beforeAll(() => {
    attacker = createIdpKeyPair({ commonName: 'attacker.test' });
    attacks = attackResponses(idp, baseOptions(), { now, attackerKeyPair: attacker });
  });

  interface Ctx {
    attack: SamlAttack;
    xml: string;
    doc: XmlDocument;
  }

  /** The signature over the base user's assertion must still verify; returns what it covers. */
  function expectOriginalSignatureIntact({ xml, doc }: Ctx): { signature: XmlElement; signed: XmlElement } {
    const sigs = signaturesIn(doc);
    expect(sigs).toHaveLength(1);
    const result = verify(xml, sigs[0]!, idp.certPem);
    expect(result.error).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(result.signedReferences[0]).toContain('>alice@example.com</saml:NameID>');
    const signed = elementById(doc, result.referencedId)!;
    expect(nameIdText(signed)).toBe('alice@example.com');
    return { signature: sigs[0]!, signed };
  }

  function expectEvilAssertion(doc: XmlDocument, signed: XmlElement): XmlElement {
    const all = assertionsOf(doc);
    expect(all).toHaveLength(2);
    const evil = all.find((a) => a !== signed)!;
    expect(nameIdText(evil)).toBe(target);
    expect(evil.getAttribute('ID')).not.toBe(signed.getAttribute('ID'));
    return evil;
  }

  function expectValidSignatureOnOnlyAssertion({ xml, doc }: Ctx): XmlElement {
    const assertion = one(doc, NS.saml, 'Assertion');
    expect(verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem).valid).toBe(true);
    return assertion;
  }

  const time = (el: XmlElement, attr: string) => new Date(el.getAttribute(attr)!).getTime();
  const SKEW = 10 * MINUTE;

  // One structural check per attack: proof that the entry is what its name claims.
  const checks: Record<string, (ctx: Ctx) => void> = {
    'xsw-evil-assertion-before-signed': (ctx) => {
      const { signed } = expectOriginalSignatureIntact(ctx);
      const evil = expectEvilAssertion(ctx.doc, signed);
      expect(evil.parentNode).toBe(ctx.doc.documentElement);
      expect(evil.nextSibling).toBe(signed);
    },
    'xsw-signed-assertion-in-extensions': (ctx) => {
      const { signature, signed } = expectOriginalSignatureIntact(ctx);
      const evil = expectEvilAssertion(ctx.doc, signed);
      expect((signed.parentNode as XmlElement).nodeName).toBe('samlp:Extensions');
      expect(evil.parentNode).toBe(ctx.doc.documentElement);
      expect(signature.parentNode).toBe(evil); // the evil assertion "looks" signed
    },
    'xsw-signed-assertion-in-signature-object': (ctx) => {
      const { signature, signed } = expectOriginalSignatureIntact(ctx);
      const evil = expectEvilAssertion(ctx.doc, signed);
      expect((signed.parentNode as XmlElement).nodeName).toBe('ds:Object');
      expect(signed.parentNode!.parentNode).toBe(signature);
      expect(signature.parentNode).toBe(evil);
      expect(evil.parentNode).toBe(ctx.doc.documentElement);
    },
    'xsw-evil-assertion-wraps-signed': (ctx) => {
      const { signed } = expectOriginalSignatureIntact(ctx);
      const evil = expectEvilAssertion(ctx.doc, signed);
      expect((signed.parentNode as XmlElement).nodeName).toBe('saml:Advice');
      expect(signed.parentNode!.parentNode).toBe(evil);
      expect(childElements(evil, NS.ds, 'Signature')).toHaveLength(0);
    },
    'comment-injection-nameid': ({ xml, doc }) => {
      expect(xml).toContain(`>${target}<!---->.attacker.test</saml:NameID>`);
      const assertion = one(doc, NS.saml, 'Assertion');
      const nameId = one(assertion, NS.saml, 'NameID');
      expect(nameId.firstChild!.nodeValue).toBe(target); // what a naive reader sees
      expect(nameId.textContent).toBe(`${target}.attacker.test`); // what was signed
      const result = verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem);
      expect(result.valid).toBe(true); // comments are not covered by the signature
      expect(result.signedReferences[0]).toContain(`>${target}.attacker.test</saml:NameID>`);
    },
    'pi-injection-nameid': ({ xml, doc }) => {
      expect(xml).toContain(`>${target}<?x .attacker.test?></saml:NameID>`);
      const assertion = one(doc, NS.saml, 'Assertion');
      const nameId = one(assertion, NS.saml, 'NameID');
      expect(nameId.textContent).toBe(target); // what a DOM reader sees
      const result = verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem);
      expect(result.valid).toBe(true); // the canonical form renders the instruction's data as text
      expect(result.signedReferences[0]).toContain(`>${target}.attacker.test</saml:NameID>`);
    },
    'signature-stripped': ({ doc }) => {
      expect(signaturesIn(doc)).toHaveLength(0);
      expect(nameIdText(one(doc, NS.saml, 'Assertion'))).toBe(target);
    },
    'resigned-with-attacker-key': ({ xml, doc }) => {
      const signature = one(doc, NS.ds, 'Signature');
      const keyInfoCert = one(signature, NS.ds, 'X509Certificate').textContent!;
      expect(keyInfoCert).toBe(attacker.certBase64);
      expect(keyInfoCert).not.toBe(idp.certBase64);
      expect(verify(xml, signature, attacker.certPem).valid).toBe(true);
      expect(verify(xml, signature, idp.certPem).valid).toBe(false);
      expect(nameIdText(one(doc, NS.saml, 'Assertion'))).toBe(target);
    },
    'nameid-modified-after-signing': ({ xml, doc }) => {
      const assertion = one(doc, NS.saml, 'Assertion');
      expect(nameIdText(assertion)).toBe(target);
      expect(verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem).valid).toBe(false);
    },
    'attribute-modified-after-signing': ({ xml, doc }) => {
      const assertion = one(doc, NS.saml, 'Assertion');
      expect(nameIdText(assertion)).toBe('alice@example.com');
      expect(assertion.getElementsByTagNameNS(NS.saml, 'AttributeValue')[0]!.textContent).toBe(target);
      expect(verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem).valid).toBe(false);
    },
    expired: (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(time(one(ctx.doc, NS.saml, 'Conditions'), 'NotOnOrAfter')).toBeLessThan(now.getTime() - SKEW);
      expect(time(one(ctx.doc, NS.saml, 'SubjectConfirmationData'), 'NotOnOrAfter')).toBeLessThan(now.getTime() - SKEW);
    },
    'not-yet-valid': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(time(one(ctx.doc, NS.saml, 'Conditions'), 'NotBefore')).toBeGreaterThan(now.getTime() + SKEW);
    },
    'subject-confirmation-expired': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      const conditions = one(ctx.doc, NS.saml, 'Conditions');
      expect(time(conditions, 'NotBefore')).toBeLessThanOrEqual(now.getTime());
      expect(time(conditions, 'NotOnOrAfter')).toBeGreaterThan(now.getTime());
      expect(time(one(ctx.doc, NS.saml, 'SubjectConfirmationData'), 'NotOnOrAfter')).toBeLessThan(now.getTime() - SKEW);
    },
    'audience-wrong': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      const audience = one(ctx.doc, NS.saml, 'Audience').textContent!;
      expect(audience).not.toBe(SP_ENTITY_ID);
      expect(audience.startsWith(SP_ENTITY_ID)).toBe(false);
    },
    'audience-prefix-extension-char': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(ctx.doc, NS.saml, 'Audience').textContent).toBe(`${SP_ENTITY_ID}x`);
    },
    'audience-prefix-extension-path': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(ctx.doc, NS.saml, 'Audience').textContent).toBe(`${SP_ENTITY_ID}/evil`);
    },
    'recipient-wrong': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(ctx.doc, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient')).not.toBe(ACS_URL);
      expect(ctx.doc.documentElement!.getAttribute('Destination')).toBe(ACS_URL);
    },
    'destination-wrong': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(ctx.doc.documentElement!.getAttribute('Destination')).not.toBe(ACS_URL);
      expect(one(ctx.doc, NS.saml, 'SubjectConfirmationData').getAttribute('Recipient')).toBe(ACS_URL);
    },
    'in-response-to-missing': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(ctx.xml).not.toContain('InResponseTo');
    },
    'in-response-to-foreign': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      const ids = [
        ctx.doc.documentElement!.getAttribute('InResponseTo'),
        one(ctx.doc, NS.saml, 'SubjectConfirmationData').getAttribute('InResponseTo'),
      ];
      expect(ids[0]).toBeTruthy();
      expect(ids[0]).toBe(ids[1]);
      expect(ids[0]).not.toBe(REQUEST_ID);
    },
    'doctype-internal-entity-expansion': ({ xml }) => {
      expect(xml).toMatch(/<!DOCTYPE samlp:Response \[/);
      expect(xml).toContain('<!ENTITY lol3 "&lol2;');
      expect(xml).toMatch(/<samlp:Extensions>.*&lol3;.*<\/samlp:Extensions>/s);
      expect(() => parseXml(xml)).toThrow(/DOCTYPE/);
    },
    'doctype-external-dtd': ({ xml }) => {
      expect(xml).toContain('<!DOCTYPE samlp:Response SYSTEM "http://127.0.0.1:9/evil.dtd">');
    },
    'doctype-external-entity': ({ xml }) => {
      expect(xml).toContain('<!ENTITY xxe SYSTEM "http://127.0.0.1:9/evil.dtd">');
      expect(xml).toMatch(/<samlp:Extensions>.*&xxe;.*<\/samlp:Extensions>/s);
    },
    'two-signed-assertions': ({ xml, doc }) => {
      const all = assertionsOf(doc);
      expect(all).toHaveLength(2);
      expect(all.map(nameIdText)).toEqual(['alice@example.com', target]);
      for (const assertion of all) {
        expect(assertion.parentNode).toBe(doc.documentElement);
        expect(verify(xml, one(assertion, NS.ds, 'Signature'), idp.certPem).valid).toBe(true);
      }
    },
    'sha1-signature': (ctx) => {
      const assertion = expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(assertion, NS.ds, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIGNATURE_ALGORITHMS.sha1);
      expect(one(assertion, NS.ds, 'DigestMethod').getAttribute('Algorithm')).toBe(DIGEST_ALGORITHMS.sha1);
    },
    'sha1-digest': (ctx) => {
      const assertion = expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(assertion, NS.ds, 'SignatureMethod').getAttribute('Algorithm')).toBe(SIGNATURE_ALGORITHMS.sha256);
      expect(one(assertion, NS.ds, 'DigestMethod').getAttribute('Algorithm')).toBe(DIGEST_ALGORITHMS.sha1);
    },
    'status-not-success': (ctx) => {
      expectValidSignatureOnOnlyAssertion(ctx);
      expect(one(ctx.doc, NS.samlp, 'StatusCode').getAttribute('Value')).toBe(
        'urn:oasis:names:tc:SAML:2.0:status:Responder',
      );
    },
  };

  it('has unique names, documented reasons, and a structural check for every entry', () => {
    const names = attacks.map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.sort()).toEqual(Object.keys(checks).sort());
    for (const a of attacks) {
      expect(ATTACK_REASONS).toContain(a.expectedReason);
      expect(a.acceptableReasons[0]).toBe(a.expectedReason);
      for (const r of a.acceptableReasons) expect(ATTACK_REASONS).toContain(r);
    }
    const xsw = attacks.filter((a) => a.name.startsWith('xsw-'));
    expect(xsw.length).toBeGreaterThanOrEqual(3);
    expect(xsw.every((a) => a.targetNameId === target)).toBe(true);
  });

  it.each(Object.keys(checks))('%s is structurally what it claims', (name) => {
    const attack = attacks.find((a) => a.name === name);
    expect(attack, `attack ${name} is in the corpus`).toBeDefined();
    const xml = decode(attack!.samlResponse);
    // Parsed on first use: the DOCTYPE entries are checked as text and never handed to a parser.
    let doc: XmlDocument | undefined;
    checks[name]!({
      attack: attack!,
      xml,
      get doc() {
        return (doc ??= parseXml(xml));
      },
    });
  });

  it('omits the InResponseTo attacks for an IdP-initiated base', () => {
    const names = attackResponses(idp, baseOptions({ inResponseTo: undefined }), { attackerKeyPair: attacker }).map(
      (a) => a.name,
    );
    expect(names).not.toContain('in-response-to-missing');
    expect(names).not.toContain('in-response-to-foreign');
    expect(names).toContain('xsw-evil-assertion-before-signed');
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP server
// ---------------------------------------------------------------------------------------------

describe('startSamlIdpServer', () => {
  let server: Awaited<ReturnType<typeof startSamlIdpServer>>;

  beforeAll(async () => {
    server = await startSamlIdpServer({
      port: 0,
      idp,
      users: [{ email: 'alice@example.com', attributes: { groups: ['admins'] } }, { email: 'bob@example.com' }],
    });
  });
  afterAll(() => server?.close());

  /** Hidden inputs and action of the first form on an HTML page. */
  function readForm(html: string): { action: string; fields: Record<string, string> } {
    const unescape = (text: string) =>
      text
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
        .replace(/&amp;/g, '&');
    const action = unescape(/<form method="post" action="([^"]*)"/.exec(html)![1]!);
    const fields: Record<string, string> = {};
    for (const m of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
      fields[unescape(m[1]!)] = unescape(m[2]!);
    }
    return { action, fields };
  }

  it('serves the metadata', async () => {
    const res = await fetch(server.metadataUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('xml');
    expect(await res.text()).toBe(idp.metadataXml());
  });

  it('signs a user in: picker page, then an auto-posting form to the ACS with SAMLResponse and RelayState', async () => {
    const samlRequest = redirectEncode(authnRequestXml('_req-http', ACS_URL));
    const relayState = 'state with spaces & symbols';
    const picker = await fetch(`${server.ssoUrl}?${new URLSearchParams({ SAMLRequest: samlRequest, RelayState: relayState })}`);
    expect(picker.status).toBe(200);
    const pickerHtml = await picker.text();
    expect(pickerHtml).toContain('>Sign in as alice@example.com</button>');
    expect(pickerHtml).toContain('>Sign in as bob@example.com</button>');

    const form = readForm(pickerHtml);
    const submit = await fetch(new URL(form.action, server.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, user: 'alice@example.com' }),
    });
    expect(submit.status).toBe(200);
    const autoPost = await submit.text();
    expect(autoPost).toContain('document.forms[0].submit()');
    const post = readForm(autoPost);
    expect(post.action).toBe(ACS_URL);
    expect(post.fields.RelayState).toBe(relayState);

    const xml = decode(post.fields.SAMLResponse!);
    const doc = parseXml(xml);
    expect(doc.documentElement!.getAttribute('InResponseTo')).toBe('_req-http');
    expect(one(doc, NS.saml, 'Audience').textContent).toBe(SP_ENTITY_ID);
    expect(one(doc, NS.saml, 'NameID').textContent).toBe('alice@example.com');
    expect(Array.from(doc.getElementsByTagNameNS(NS.saml, 'Attribute')).map((a) => a.getAttribute('Name'))).toEqual([
      'email',
      'groups',
    ]);
    expect(verify(xml, one(doc, NS.ds, 'Signature'), idp.certPem).valid).toBe(true);
  });

  it('rejects a picker submission for an unknown user', async () => {
    const res = await fetch(server.ssoUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'mallory@example.com', acsUrl: ACS_URL, audience: SP_ENTITY_ID }),
    });
    expect(res.status).toBe(400);
  });
});
