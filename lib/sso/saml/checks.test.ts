import { sign as cryptoSign, createHash } from 'node:crypto';
import { XMLSerializer, type Document as XmlDocument, type Element as XmlElement } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { describe, expect, it, vi } from 'vitest';
import { ATTACK_REASONS, attackResponses } from '@/e2e/idp/attacks';
import {
  type BuildResponseOptions,
  childElements,
  createIdpKeyPair,
  NAMEID_FORMAT_EMAIL,
  NS,
  parseXml,
  signDocumentElement,
  TestSamlIdp,
} from '@/e2e/idp/saml-idp';
import {
  type CheckedAssertion,
  checkSamlResponse,
  peekResponse,
  SAML_FAILURE_REASONS,
  type SamlExpectations,
  type SamlFailureReason,
  SamlRejection,
} from './checks';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const SP_ENTITY_ID = 'https://portal.test/saml/sp';
const ACS_URL = 'https://portal.test/api/sso/saml/acs';
const REQUEST_ID = '_request-4f1c';
const SECOND = 1000;
const MINUTE = 60 * SECOND;
/** Whole seconds: the IdP writes instants without milliseconds. */
const NOW = new Date('2030-06-01T12:00:00Z');

// Created at collection time so that the attack corpus can drive `it.each`.
const idp = new TestSamlIdp({ entityId: 'https://idp.test/metadata', ssoUrl: 'http://127.0.0.1:7999/sso' });
const otherKey = createIdpKeyPair({ commonName: 'other.test' });

/** A test-only ECDSA P-256 key and self-signed certificate (node-forge cannot make EC certificates). */
const EC_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMjFq8YRUAabkX2PM
gd3MujQ+PZAUJR5Y/0pQB5HUa0ahRANCAARqH87yBeDaugUPgo/z23g3juz1UFHu
vNYicrXWPCJosXImrnnn89Ww9NU882fbydrf+RxusE/t+tLI03LuqZBM
-----END PRIVATE KEY-----`;
const EC_CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBiDCCAS+gAwIBAgIUHawiUJlgpAa6kcw/dEShn6LEWC0wCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZWNkc2EtaWRwLnRlc3QwIBcNMjYxMTIyMDYzNzQ1WhgPMjEy
NjEwMjkwNjM3NDVaMBkxFzAVBgNVBAMMDmVjZHNhLWlkcC50ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEah/O8gXg2roFD4KP89t4N47s9VBR7rzWInK11jwi
aLFyJq555/PVsPTVPPNn28na3/kcbrBP7frSyNNy7qmQTKNTMFEwHQYDVR0OBBYE
FKA91EvhxPxM6wuSQGs5ON4/c6DoMB8GA1UdIwQYMBaAFKA91EvhxPxM6wuSQGs5
ON4/c6DoMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIge+yD1A2m
HHXoMkSgpESH67Jlq7d2tJR0jjrVa19iRDcCIA71JXtdTRy9yr4z4an68aqsESYJ
iMZQ7jItEfLlSTOg
-----END CERTIFICATE-----`;

function baseOptions(overrides: Partial<BuildResponseOptions> = {}): BuildResponseOptions {
  return {
    acsUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    inResponseTo: REQUEST_ID,
    nameId: 'alice@example.com',
    issueInstant: NOW,
    sessionIndex: '_session-1',
    assertionId: '_assertion-1',
    responseId: '_response-1',
    attributes: {
      email: 'alice@example.com',
      groups: ['admins', 'staff'],
      'urn:oid:2.5.4.42': { values: 'Alice', friendlyName: 'givenName' },
    },
    ...overrides,
  };
}

function expectations(overrides: Partial<SamlExpectations> = {}): SamlExpectations {
  return {
    spEntityId: SP_ENTITY_ID,
    acsUrl: ACS_URL,
    idpEntityId: idp.entityId,
    certificates: [idp.certPem],
    expectedInResponseTo: REQUEST_ID,
    now: NOW,
    ...overrides,
  };
}

const b64 = (xml: string) => Buffer.from(xml, 'utf8').toString('base64');

/** The SamlRejection `fn` throws (failing the test if it returns or throws anything else). */
function rejectionOf(fn: () => unknown): SamlRejection {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SamlRejection);
    return err as SamlRejection;
  }
  throw new Error(`expected a SamlRejection, got ${JSON.stringify(result)}`);
}

function reasonOf(samlResponse: string, exp: Partial<SamlExpectations> = {}): SamlFailureReason {
  return rejectionOf(() => checkSamlResponse(samlResponse, expectations(exp))).reason;
}

function mutate(xml: string, change: (doc: XmlDocument) => void): string {
  const doc = parseXml(xml);
  change(doc);
  return new XMLSerializer().serializeToString(doc);
}

function first(doc: XmlDocument | XmlElement, ns: string, localName: string): XmlElement {
  const el = doc.getElementsByTagNameNS(ns, localName)[0];
  if (!el) throw new Error(`no ${localName}`);
  return el;
}

/**
 * A response whose unsigned XML is first changed by `change`, then signed: the Response only
 * (default), or the Assertion only. Lets a test put arbitrary content under a valid signature.
 */
function signedAfter(
  change: (doc: XmlDocument) => void,
  { sign = 'response', ...overrides }: Partial<BuildResponseOptions> & { sign?: 'response' | 'assertion' } = {},
): string {
  const opts = baseOptions({ ...overrides, signAssertion: false, signResponse: false });
  if (sign === 'response') return b64(signDocumentElement(mutate(idp.buildResponseXml(opts), change), { keyPair: idp.keyPair }));
  const assertion = signDocumentElement(
    mutate(idp.buildAssertionXml({ ...opts, issueInstant: NOW }), change),
    { keyPair: idp.keyPair },
  );
  const response = idp.buildResponseXml({ ...opts, includeAssertion: false });
  return b64(response.replace('</samlp:Response>', `${assertion}</samlp:Response>`));
}

// Signing with algorithms the test IdP does not offer (SHA-384/512, ECDSA).

const ALG = {
  rsaSha384: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  ecdsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha384: 'http://www.w3.org/2001/04/xmldsig-more#sha384',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
};

function signAssertionWith(privateKeyPem: string, signatureAlgorithm: string, digestAlgorithm: string): string {
  const unsigned = idp.buildResponseXml(baseOptions({ signAssertion: false }));
  const sx = new SignedXml({
    privateKey: privateKeyPem,
    signatureAlgorithm,
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  const hash = (uri: string) => uri.replace(/^.*#(rsa-|ecdsa-)?/, '') as 'sha256' | 'sha384' | 'sha512';
  sx.HashAlgorithms[ALG.sha384] = class {
    getAlgorithmName = () => ALG.sha384;
    getHash = (xml: string) => createHash('sha384').update(xml, 'utf8').digest('base64');
  };
  for (const uri of [ALG.rsaSha384, ALG.ecdsaSha256]) {
    const ec = uri.includes('ecdsa');
    sx.SignatureAlgorithms[uri] = class {
      getAlgorithmName = () => uri;
      verifySignature = () => false;
      getSignature = (signedInfo: string, key: string) =>
        cryptoSign(hash(uri), Buffer.from(signedInfo), ec ? { key, dsaEncoding: 'ieee-p1363' } : key).toString('base64');
    } as never;
  }
  sx.addReference({
    xpath: `//*[local-name(.)='Assertion']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm,
  });
  sx.computeSignature(unsigned, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return b64(sx.getSignedXml());
}

// ---------------------------------------------------------------------------------------------
// API surface
// ---------------------------------------------------------------------------------------------

describe('SAML_FAILURE_REASONS', () => {
  it('covers every attack reason (untrusted_certificate folded into signature_invalid) and the extra ones', () => {
    for (const reason of ATTACK_REASONS) {
      if (reason !== 'untrusted_certificate') expect(SAML_FAILURE_REASONS).toContain(reason);
    }
    expect(SAML_FAILURE_REASONS).not.toContain('untrusted_certificate');
    for (const reason of [
      'malformed_response',
      'assertion_missing',
      'encrypted_assertion_unsupported',
      'issuer_mismatch',
      'response_too_large',
    ]) {
      expect(SAML_FAILURE_REASONS).toContain(reason);
    }
  });

  it('SamlRejection carries the reason', () => {
    const err = new SamlRejection('expired', 'too late');
    expect(err).toBeInstanceOf(Error);
    expect(err.reason).toBe('expired');
    expect(err.message).toBe('too late');
    expect(err.name).toBe('SamlRejection');
  });
});

// ---------------------------------------------------------------------------------------------
// Valid responses
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: valid responses', () => {
  const shapes: [string, Partial<BuildResponseOptions>][] = [
    ['assertion signed', { signAssertion: true, signResponse: false }],
    ['response and assertion signed', { signAssertion: true, signResponse: true }],
    ['response signed only', { signAssertion: false, signResponse: true }],
  ];

  it.each(shapes)('accepts %s, reading everything from the signed assertion', (_, shape) => {
    const result = checkSamlResponse(idp.buildResponse(baseOptions(shape)), expectations());
    expect(result).toEqual<CheckedAssertion>({
      decryptedWithKey: null,
      signedWith: [0],
      assertionId: '_assertion-1',
      issuer: idp.entityId,
      nameId: 'alice@example.com',
      nameIdFormat: NAMEID_FORMAT_EMAIL,
      sessionIndex: '_session-1',
      inResponseTo: REQUEST_ID,
      // Conditions and SubjectConfirmationData both end 5 minutes after issue; plus 180 s skew.
      notOnOrAfter: new Date(NOW.getTime() + 5 * MINUTE + 180 * SECOND),
      authnContextClassRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
      attributes: {
        email: ['alice@example.com'],
        groups: ['admins', 'staff'],
        'urn:oid:2.5.4.42': ['Alice'],
        givenName: ['Alice'],
      },
    });
  });

  it('returns attributes in a null-prototype object', () => {
    const { attributes } = checkSamlResponse(idp.buildResponse(baseOptions()), expectations());
    expect(Object.getPrototypeOf(attributes)).toBeNull();
    expect(attributes.constructor).toBeUndefined();
  });

  it('accepts a response without Destination, and one without a Response Issuer', () => {
    expect(checkSamlResponse(idp.buildResponse(baseOptions({ destination: null })), expectations()).nameId).toBe(
      'alice@example.com',
    );
    const noIssuer = mutate(idp.buildResponseXml(baseOptions()), (doc) => {
      const response = doc.documentElement!;
      response.removeChild(childElements(response, NS.saml, 'Issuer')[0]!);
    });
    expect(checkSamlResponse(b64(noIssuer), expectations()).issuer).toBe(idp.entityId);
  });

  it('uses the earliest bound for notOnOrAfter', () => {
    const result = checkSamlResponse(
      idp.buildResponse(
        baseOptions({
          notOnOrAfter: new Date(NOW.getTime() + 10 * MINUTE),
          subjectConfirmationNotOnOrAfter: new Date(NOW.getTime() + 2 * MINUTE),
        }),
      ),
      expectations({ clockSkewSeconds: 60 }),
    );
    expect(result.notOnOrAfter).toEqual(new Date(NOW.getTime() + 3 * MINUTE));
  });

  it('accepts RSA-SHA512 / SHA-512, RSA-SHA384 / SHA-384 and ECDSA-SHA256 signatures', () => {
    const rsa = checkSamlResponse(signAssertionWith(idp.keyPair.privateKeyPem, ALG.rsaSha512, ALG.sha512), expectations());
    expect(rsa.nameId).toBe('alice@example.com');
    const rsa384 = checkSamlResponse(signAssertionWith(idp.keyPair.privateKeyPem, ALG.rsaSha384, ALG.sha384), expectations());
    expect(rsa384.nameId).toBe('alice@example.com');
    const ec = checkSamlResponse(
      signAssertionWith(EC_KEY_PEM, ALG.ecdsaSha256, ALG.sha256),
      expectations({ certificates: [EC_CERT_PEM] }),
    );
    expect(ec.nameId).toBe('alice@example.com');
  });

  it('does not accept an ECDSA algorithm URI with an RSA key or an ECDSA signature by an unconfigured key', () => {
    expect(reasonOf(signAssertionWith(EC_KEY_PEM, ALG.ecdsaSha256, ALG.sha256))).toBe('signature_invalid');
    const rsaSigned = signAssertionWith(idp.keyPair.privateKeyPem, ALG.rsaSha512, ALG.sha512);
    expect(reasonOf(rsaSigned, { certificates: [EC_CERT_PEM] })).toBe('signature_invalid');
  });

  it('accepts certificates as bare base64 DER and as indented PEM', () => {
    const response = idp.buildResponse(baseOptions());
    expect(checkSamlResponse(response, expectations({ certificates: [idp.certBase64] })).nameId).toBe('alice@example.com');
    const wrapped = idp.certBase64.replace(/(.{64})/g, '$1\n');
    expect(checkSamlResponse(response, expectations({ certificates: [wrapped] })).nameId).toBe('alice@example.com');
    const indented = idp.certPem.replace(/^/gm, '      ');
    expect(checkSamlResponse(response, expectations({ certificates: [indented] })).nameId).toBe('alice@example.com');
  });
});

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: certificates', () => {
  it('accepts a signature by the second of two configured certificates (rollover), and says which one signed', () => {
    const response = idp.buildResponse(baseOptions({ signResponse: true }));
    for (const alwaysXmlCrypto of [false, true]) {
      const second = checkSamlResponse(response, expectations({ certificates: [otherKey.certPem, idp.certPem], alwaysXmlCrypto }));
      expect(second.nameId).toBe('alice@example.com');
      expect(second.signedWith).toEqual([1]);
      const first = checkSamlResponse(response, expectations({ certificates: [idp.certPem, otherKey.certPem], alwaysXmlCrypto }));
      expect(first.nameId).toBe('alice@example.com');
      expect(first.signedWith).toEqual([0]);
    }
  });

  it('names every certificate that signed: the Response by one, the Assertion by another', () => {
    const opts = baseOptions({ signAssertion: false, signResponse: false });
    const assertion = signDocumentElement(idp.buildAssertionXml({ ...opts, issueInstant: NOW }), { keyPair: otherKey });
    const unsigned = idp.buildResponseXml({ ...opts, includeAssertion: false }).replace('</samlp:Response>', `${assertion}</samlp:Response>`);
    const both = b64(signDocumentElement(unsigned, { keyPair: idp.keyPair }));
    for (const alwaysXmlCrypto of [false, true]) {
      const checked = checkSamlResponse(both, expectations({ certificates: [EC_CERT_PEM, otherKey.certPem, idp.certPem], alwaysXmlCrypto }));
      expect(checked.signedWith).toEqual([1, 2]);
    }
  });

  it('rejects a signature by an unknown certificate, even one published in KeyInfo', () => {
    const response = idp.buildResponse(baseOptions());
    expect(reasonOf(response, { certificates: [otherKey.certPem] })).toBe('signature_invalid');
    const attacker = new TestSamlIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl, keyPair: otherKey });
    expect(reasonOf(attacker.buildResponse(baseOptions({ signResponse: true })))).toBe('signature_invalid');
  });

  it('treats an unusable configuration as an error, not a rejection', () => {
    const response = idp.buildResponse(baseOptions());
    expect(() => checkSamlResponse(response, expectations({ certificates: [] }))).toThrow(/certificate/);
    expect(() => checkSamlResponse(response, expectations({ certificates: ['not a cert'] }))).toThrow(/certificate #1/);
    expect(() => checkSamlResponse(response, expectations({ spEntityId: '' }))).toThrow(/spEntityId/);
    expect(() => checkSamlResponse(response, expectations({ certificates: ['x'] }))).not.toThrow(SamlRejection);
  });
});

// ---------------------------------------------------------------------------------------------
// Attack corpus
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: attack corpus, SP-initiated base', () => {
  const attacks = attackResponses(idp, baseOptions(), { now: NOW });

  it('is the full corpus', () => {
    expect(attacks.length).toBeGreaterThanOrEqual(25);
    expect(attacks.map((a) => a.name)).toContain('in-response-to-foreign');
  });

  it.each(attacks.map((a) => [a.name, a] as const))('rejects %s', (_, attack) => {
    const rejection = rejectionOf(() => checkSamlResponse(attack.samlResponse, expectations()));
    expect(attack.acceptableReasons, rejection.message).toContain(rejection.reason);
  });
});

describe('checkSamlResponse: attack corpus, IdP-initiated base', () => {
  const attacks = attackResponses(idp, baseOptions({ inResponseTo: undefined }), { now: NOW });

  it.each(attacks.map((a) => [a.name, a] as const))('rejects %s', (_, attack) => {
    const rejection = rejectionOf(() =>
      checkSamlResponse(attack.samlResponse, expectations({ expectedInResponseTo: null })),
    );
    expect(attack.acceptableReasons, rejection.message).toContain(rejection.reason);
  });
});

// ---------------------------------------------------------------------------------------------
// The signature check on our own parse agrees with xml-crypto's full check
// ---------------------------------------------------------------------------------------------

/** What checkSamlResponse makes of a response: the checked assertion, or the rejection's reason. */
function outcome(samlResponse: string, exp: Partial<SamlExpectations>): CheckedAssertion | SamlFailureReason {
  try {
    return checkSamlResponse(samlResponse, expectations(exp));
  } catch (err) {
    if (err instanceof SamlRejection) return err.reason;
    throw err;
  }
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** An Okta-style response: xs declared on the Response only, used in xsi:type values, signed with PrefixList="xs". */
function prefixListResponse(tamper = false): string {
  const unsigned = mutate(idp.buildResponseXml(baseOptions({ signAssertion: false })), (doc) => {
    const response = doc.documentElement!;
    response.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:xs', 'http://www.w3.org/2001/XMLSchema');
    response.setAttributeNS('http://www.w3.org/2000/xmlns/', 'xmlns:xsi', XSI);
    for (const value of Array.from(doc.getElementsByTagNameNS(NS.saml, 'AttributeValue'))) value.setAttributeNS(XSI, 'xsi:type', 'xs:string');
  });
  const sx = new SignedXml({
    privateKey: idp.keyPair.privateKeyPem,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sx.addReference({
    xpath: `//*[local-name(.)='Assertion']`,
    transforms: ['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#'],
    digestAlgorithm: ALG.sha256,
    inclusiveNamespacesPrefixList: ['xs'],
  });
  sx.computeSignature(unsigned, {
    prefix: 'ds',
    location: { reference: `//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']`, action: 'after' },
  });
  const signed = sx.getSignedXml();
  expect(signed).toContain('PrefixList="xs"');
  return b64(tamper ? signed.replace('>admins<', '>owners<') : signed);
}

describe('checkSamlResponse: signatures verified on our own parse', () => {
  const valid: [string, string, Partial<SamlExpectations>][] = [
    ['assertion signed', idp.buildResponse(baseOptions()), {}],
    ['response and assertion signed', idp.buildResponse(baseOptions({ signResponse: true })), {}],
    ['response signed only', idp.buildResponse(baseOptions({ signAssertion: false, signResponse: true })), {}],
    ['two certificates (rollover)', idp.buildResponse(baseOptions()), { certificates: [otherKey.certPem, idp.certPem] }],
    ['RSA-SHA512', signAssertionWith(idp.keyPair.privateKeyPem, ALG.rsaSha512, ALG.sha512), {}],
    ['ECDSA-SHA256', signAssertionWith(EC_KEY_PEM, ALG.ecdsaSha256, ALG.sha256), { certificates: [EC_CERT_PEM] }],
    ['InclusiveNamespaces PrefixList (Okta)', prefixListResponse(), {}],
  ];

  it.each(valid)('%s: same result as xml-crypto, without running it', (_, response, exp) => {
    const full = outcome(response, { ...exp, alwaysXmlCrypto: true });
    expect(typeof full, String(full)).toBe('object');
    const spy = vi.spyOn(SignedXml.prototype, 'checkSignature');
    try {
      expect(outcome(response, exp)).toEqual(full);
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('refuses a PrefixList-signed assertion changed after signing, as xml-crypto does', () => {
    expect(outcome(prefixListResponse(true), {})).toBe('signature_invalid');
    expect(outcome(prefixListResponse(true), { alwaysXmlCrypto: true })).toBe('signature_invalid');
  });

  it('never checks an RSA signature with an EC key, or the other way round', () => {
    const ecSigned = signAssertionWith(EC_KEY_PEM, ALG.ecdsaSha256, ALG.sha256);
    expect(outcome(ecSigned, { certificates: [idp.certPem] })).toBe('signature_invalid');
    expect(outcome(idp.buildResponse(baseOptions()), { certificates: [EC_CERT_PEM] })).toBe('signature_invalid');
  });

  for (const [base, opts, exp] of [
    ['SP-initiated', baseOptions(), {}],
    ['IdP-initiated', baseOptions({ inResponseTo: undefined }), { expectedInResponseTo: null }],
  ] as const) {
    const attacks = attackResponses(idp, opts, { now: NOW });
    it(`gives the same reason as xml-crypto for every attack (${base} base)`, () => {
      for (const attack of attacks) {
        expect(outcome(attack.samlResponse, exp), attack.name).toBe(outcome(attack.samlResponse, { ...exp, alwaysXmlCrypto: true }));
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Time windows
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: clock skew boundaries', () => {
  const at = (seconds: number) => new Date(NOW.getTime() + seconds * SECOND);
  const late = at(3600);

  it('Conditions/@NotBefore: accepted up to now + skew', () => {
    const atLimit = idp.buildResponse(baseOptions({ notBefore: at(180), notOnOrAfter: late }));
    expect(checkSamlResponse(atLimit, expectations()).nameId).toBe('alice@example.com');
    expect(reasonOf(idp.buildResponse(baseOptions({ notBefore: at(181), notOnOrAfter: late })))).toBe('not_yet_valid');
  });

  it('Conditions/@NotOnOrAfter: accepted while it is after now − skew', () => {
    const response = (end: Date) =>
      idp.buildResponse(baseOptions({ issueInstant: at(-600), notOnOrAfter: end, subjectConfirmationNotOnOrAfter: late }));
    expect(checkSamlResponse(response(at(-179)), expectations()).notOnOrAfter).toEqual(at(1));
    expect(reasonOf(response(at(-180)))).toBe('expired');
  });

  it('SubjectConfirmationData/@NotOnOrAfter: accepted while it is after now − skew', () => {
    const response = (end: Date) =>
      idp.buildResponse(baseOptions({ issueInstant: at(-600), notOnOrAfter: late, subjectConfirmationNotOnOrAfter: end }));
    expect(checkSamlResponse(response(at(-179)), expectations()).notOnOrAfter).toEqual(at(1));
    expect(reasonOf(response(at(-180)))).toBe('subject_confirmation_expired');
  });

  it('honours clockSkewSeconds (0 = none)', () => {
    const endsNow = idp.buildResponse(baseOptions({ issueInstant: at(-60), notOnOrAfter: NOW }));
    expect(reasonOf(endsNow, { clockSkewSeconds: 0 })).toBe('expired');
    expect(checkSamlResponse(endsNow, expectations({ clockSkewSeconds: 1 })).notOnOrAfter).toEqual(at(1));
    const startsSoon = idp.buildResponse(baseOptions({ notBefore: at(1), notOnOrAfter: late }));
    expect(reasonOf(startsSoon, { clockSkewSeconds: 0 })).toBe('not_yet_valid');
  });

  it('defaults now to the current time', () => {
    const fresh = idp.buildResponse(baseOptions({ issueInstant: new Date() }));
    expect(checkSamlResponse(fresh, expectations({ now: undefined })).nameId).toBe('alice@example.com');
    expect(reasonOf(idp.buildResponse(baseOptions()), { now: undefined })).toBe('not_yet_valid'); // NOW is in 2030
  });

  it('accepts an assertion for at most an hour after its IssueInstant, whatever its conditions say', () => {
    // The replay cache keeps an assertion's ID until `notOnOrAfter`: an IdP writing year 9999
    // must not make that row permanent.
    const far = new Date('9999-01-01T00:00:00Z');
    const response = (issued: Date) => idp.buildResponse(baseOptions({ issueInstant: issued, notBefore: at(-7200), notOnOrAfter: far, subjectConfirmationNotOnOrAfter: far }));
    expect(checkSamlResponse(response(NOW), expectations()).notOnOrAfter).toEqual(at(3600 + 180));
    expect(checkSamlResponse(response(at(-3600 - 179)), expectations()).notOnOrAfter).toEqual(at(1));
    expect(reasonOf(response(at(-3600 - 180)))).toBe('expired');
    // Issued later than now + skew: not yet valid, however early its NotBefore.
    expect(checkSamlResponse(response(at(180)), expectations()).nameId).toBe('alice@example.com');
    expect(reasonOf(response(at(181)))).toBe('not_yet_valid');
  });

  it('rejects an ended IdP session (AuthnStatement/@SessionNotOnOrAfter)', () => {
    const response = signedAfter((doc) =>
      first(doc, NS.saml, 'AuthnStatement').setAttribute('SessionNotOnOrAfter', '2030-06-01T11:50:00Z'),
    );
    expect(reasonOf(response)).toBe('expired');
  });

  it('rejects a time that is not an xs:dateTime', () => {
    const response = signedAfter((doc) => first(doc, NS.saml, 'Conditions').setAttribute('NotOnOrAfter', 'tomorrow'));
    expect(reasonOf(response)).toBe('malformed_response');
  });
});

// ---------------------------------------------------------------------------------------------
// InResponseTo, Recipient, Destination, Audience, Issuer
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: InResponseTo', () => {
  it('unsolicited flow: passes without InResponseTo, fails with one', () => {
    const unsolicited = idp.buildResponse(baseOptions({ inResponseTo: undefined }));
    const result = checkSamlResponse(unsolicited, expectations({ expectedInResponseTo: null }));
    expect(result.inResponseTo).toBeNull();
    expect(reasonOf(idp.buildResponse(baseOptions()), { expectedInResponseTo: null })).toBe('in_response_to_mismatch');
  });

  it('SP-initiated flow: the SubjectConfirmationData InResponseTo is required even when the Response has the right one', () => {
    const response = signedAfter((doc) => first(doc, NS.saml, 'SubjectConfirmationData').removeAttribute('InResponseTo'));
    expect(reasonOf(response)).toBe('in_response_to_missing');
  });

  it('SP-initiated flow: the Response InResponseTo, when present, must match; it may be absent', () => {
    const xml = idp.buildResponseXml(baseOptions());
    const wrong = mutate(xml, (doc) => doc.documentElement!.setAttribute('InResponseTo', '_other'));
    expect(reasonOf(b64(wrong))).toBe('in_response_to_mismatch');
    const absent = mutate(xml, (doc) => doc.documentElement!.removeAttribute('InResponseTo'));
    expect(checkSamlResponse(b64(absent), expectations()).inResponseTo).toBe(REQUEST_ID);
  });

  it('accepts when one of several bearer confirmations matches, else reports the first failure', () => {
    const addConfirmation = (recipient: string) => (doc: XmlDocument) => {
      const subject = first(doc, NS.saml, 'Subject');
      const original = first(doc, NS.saml, 'SubjectConfirmation');
      const extra = original.cloneNode(true) as XmlElement;
      first(extra, NS.saml, 'SubjectConfirmationData').setAttribute('Recipient', recipient);
      subject.insertBefore(extra, original);
    };
    expect(checkSamlResponse(signedAfter(addConfirmation('https://elsewhere.test/acs')), expectations()).nameId).toBe(
      'alice@example.com',
    );
    const bothWrong = signedAfter((doc) => {
      addConfirmation('https://elsewhere.test/acs')(doc);
      doc.getElementsByTagNameNS(NS.saml, 'SubjectConfirmationData')[1]!.setAttribute('NotOnOrAfter', '2030-06-01T11:00:00Z');
    });
    expect(reasonOf(bothWrong)).toBe('recipient_mismatch');
  });
});

describe('checkSamlResponse: addressing and issuer', () => {
  it('compares Audience, Recipient and Destination exactly', () => {
    expect(reasonOf(idp.buildResponse(baseOptions({ audience: `${SP_ENTITY_ID}/` })))).toBe('audience_mismatch');
    expect(reasonOf(idp.buildResponse(baseOptions({ audience: SP_ENTITY_ID.toUpperCase() })))).toBe('audience_mismatch');
    expect(reasonOf(idp.buildResponse(baseOptions({ recipient: `${ACS_URL}/` })))).toBe('recipient_mismatch');
    expect(reasonOf(idp.buildResponse(baseOptions({ destination: `${ACS_URL}?x` })))).toBe('destination_mismatch');
  });

  it('requires an AudienceRestriction, and every AudienceRestriction must name us', () => {
    const none = signedAfter((doc) => {
      const restriction = first(doc, NS.saml, 'AudienceRestriction');
      restriction.parentNode!.removeChild(restriction);
    });
    expect(reasonOf(none)).toBe('audience_mismatch');

    const addRestriction = (audiences: string[]) => (doc: XmlDocument) => {
      const restriction = doc.createElementNS(NS.saml, 'saml:AudienceRestriction');
      for (const value of audiences) {
        const audience = doc.createElementNS(NS.saml, 'saml:Audience');
        audience.appendChild(doc.createTextNode(value));
        restriction.appendChild(audience);
      }
      first(doc, NS.saml, 'Conditions').appendChild(restriction);
    };
    expect(reasonOf(signedAfter(addRestriction(['https://other.test/sp'])))).toBe('audience_mismatch');
    expect(checkSamlResponse(signedAfter(addRestriction(['https://other.test/sp', SP_ENTITY_ID])), expectations()).nameId).toBe(
      'alice@example.com',
    );
  });

  it('rejects a Condition it does not understand', () => {
    const response = signedAfter((doc) => {
      const condition = doc.createElementNS(NS.saml, 'saml:Condition');
      first(doc, NS.saml, 'Conditions').appendChild(condition);
    });
    expect(reasonOf(response)).toBe('malformed_response');
  });

  it('requires the IdP entity ID as Issuer of the Response and of the assertion', () => {
    expect(reasonOf(idp.buildResponse(baseOptions({ issuer: 'https://idp.test/metadata/x' })))).toBe('issuer_mismatch');
    const assertionOnly = signedAfter((doc) => {
      const issuer = doc.getElementsByTagNameNS(NS.saml, 'Issuer')[1]!;
      issuer.replaceChild(doc.createTextNode('https://evil.test'), issuer.firstChild!);
    });
    expect(reasonOf(assertionOnly)).toBe('issuer_mismatch');
    expect(reasonOf(idp.buildResponse(baseOptions()), { idpEntityId: 'https://idp.test' })).toBe('issuer_mismatch');
  });
});

// ---------------------------------------------------------------------------------------------
// Document and structure
// ---------------------------------------------------------------------------------------------

describe('checkSamlResponse: document and structure', () => {
  const valid = () => idp.buildResponseXml(baseOptions());

  it('refuses oversized, non-base64, non-UTF-8 and non-XML input', () => {
    const huge = valid().replace('</samlp:Response>', `<!--${'x'.repeat(520 * 1024)}--></samlp:Response>`);
    expect(reasonOf(b64(huge))).toBe('response_too_large');
    expect(reasonOf('x'.repeat(3 * 1024 * 1024))).toBe('response_too_large');
    expect(reasonOf('not base64!')).toBe('malformed_response');
    expect(reasonOf('')).toBe('malformed_response');
    expect(reasonOf(Buffer.from([0xff, 0xfe, 0x3c, 0x00]).toString('base64'))).toBe('malformed_response');
    expect(reasonOf(b64('hello'))).toBe('malformed_response');
    expect(reasonOf(b64(valid().slice(0, -5)))).toBe('malformed_response');
  });

  it('refuses a response of too many or too deeply nested elements before parsing it (peek and check)', () => {
    // Nested ds:Signature elements around many small ones: every lookup below a signature walked
    // its subtree, so elements × signatures of work (a 375 KB response held the process 80 s).
    const bomb = (inside: string) =>
      b64(valid().replace('</saml:Assertion>', `${inside}</saml:Assertion>`));
    const nested = bomb(`${'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'.repeat(100)}${'<a/>'.repeat(5000)}${'</ds:Signature>'.repeat(100)}`);
    const wide = bomb('<a/>'.repeat(20_001));
    for (const response of [nested, wide]) {
      expect(reasonOf(response)).toBe('response_too_large');
      expect(rejectionOf(() => peekResponse(response)).reason).toBe('response_too_large');
    }
    // Within the bounds, more than the two signatures a response may carry: refused as such.
    const three = signedAfter((doc) => {
      const a = first(doc, NS.saml, 'Assertion');
      for (let i = 0; i < 3; i++) a.appendChild(doc.createElementNS(NS.ds, 'ds:Signature'));
    });
    expect(reasonOf(three)).toBe('signature_invalid');
  });

  it('accepts line-wrapped base64', () => {
    const wrapped = idp.buildResponse(baseOptions()).replace(/(.{76})/g, '$1\r\n');
    expect(checkSamlResponse(wrapped, expectations()).nameId).toBe('alice@example.com');
  });

  it('refuses any DOCTYPE or ENTITY, whatever the case', () => {
    expect(reasonOf(b64(`<!doctype samlp:Response>${valid()}`))).toBe('doctype_forbidden');
    expect(reasonOf(b64(`${valid()}<!-- <!Entity x "y"> -->`))).toBe('doctype_forbidden');
  });

  it('requires samlp:Response in the SAML 2.0 protocol namespace', () => {
    expect(reasonOf(b64(valid().replace(/urn:oasis:names:tc:SAML:2\.0:protocol/g, 'urn:oasis:names:tc:SAML:1.0:protocol')))).toBe(
      'malformed_response',
    );
    expect(reasonOf(b64(idp.buildAssertionXml(baseOptions())))).toBe('malformed_response');
  });

  it('reports a non-success status before anything else about the assertion', () => {
    expect(reasonOf(idp.buildResponse(baseOptions({ statusCode: 'Requester', includeAssertion: false })))).toBe(
      'status_not_success',
    );
  });

  it('reports a missing or encrypted assertion', () => {
    const empty = idp.buildResponseXml(baseOptions({ includeAssertion: false }));
    expect(reasonOf(b64(empty))).toBe('assertion_missing');
    const encrypted = empty.replace(
      '</samlp:Response>',
      '<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/>' +
        '</saml:EncryptedAssertion></samlp:Response>',
    );
    expect(reasonOf(b64(encrypted))).toBe('encrypted_assertion_unsupported');
  });

  it('requires a NameID', () => {
    const response = signedAfter((doc) => {
      const nameId = first(doc, NS.saml, 'NameID');
      nameId.parentNode!.removeChild(nameId);
    });
    expect(reasonOf(response)).toBe('malformed_response');
  });

  it('refuses comments anywhere in the assertion, even under a valid signature', () => {
    const response = signedAfter(
      (doc) => {
        const value = first(doc, NS.saml, 'AttributeValue');
        value.appendChild(doc.createComment('hello'));
      },
      { sign: 'assertion' },
    );
    expect(reasonOf(response)).toBe('comment_forbidden');
  });

  it('refuses an unsigned response', () => {
    expect(reasonOf(idp.buildResponse(baseOptions({ signAssertion: false, signResponse: false })))).toBe('signature_missing');
  });

  it('refuses a signature that is not where it belongs, even when it verifies', () => {
    // The assertion's signature moved onto the Response: its Reference still names the assertion
    // (and xml-crypto would verify it), but it is not the Response's enveloped signature.
    const moved = mutate(valid(), (doc) => {
      const response = doc.documentElement!;
      const signature = first(doc, NS.ds, 'Signature');
      signature.parentNode!.removeChild(signature);
      response.insertBefore(signature, childElements(response, NS.saml, 'Issuer')[0]!.nextSibling);
    });
    expect(reasonOf(b64(moved))).toBe('signature_invalid');
  });

  it('refuses a signature with two References', () => {
    const twoRefs = mutate(valid(), (doc) => {
      const reference = first(doc, NS.ds, 'Reference');
      reference.parentNode!.appendChild(reference.cloneNode(true));
    });
    expect(reasonOf(b64(twoRefs))).toBe('signature_invalid');
  });

  it('refuses a signed ID that another element also carries', () => {
    const duplicated = mutate(valid(), (doc) => {
      const response = doc.documentElement!;
      const extensions = doc.createElementNS(NS.samlp, 'samlp:Extensions');
      const other = doc.createElementNS('urn:x-test', 'x:Other');
      other.setAttributeNS('urn:x-test', 'x:ID', '_assertion-1');
      extensions.appendChild(other);
      response.insertBefore(extensions, first(doc, NS.samlp, 'Status'));
    });
    expect(reasonOf(b64(duplicated))).toBe('signature_invalid');
  });

  it('requires every signature present to verify', () => {
    // Both signed; the assertion's SignatureValue is damaged (which also breaks the response digest).
    const xml = idp.buildResponseXml(baseOptions({ signResponse: true }));
    const damaged = mutate(xml, (doc) => {
      const value = first(first(doc, NS.saml, 'Assertion'), NS.ds, 'SignatureValue');
      value.replaceChild(doc.createTextNode(`AAAA${value.textContent!.slice(4)}`), value.firstChild!);
    });
    expect(reasonOf(b64(damaged))).toBe('signature_invalid');
  });

  it('never throws anything but SamlRejection for hostile input', () => {
    for (const input of ['', '====', b64('<'), b64('<a/>'), b64('\u0000'), b64(`<samlp:Response xmlns:samlp="${NS.samlp}"/>`)]) {
      rejectionOf(() => checkSamlResponse(input, expectations()));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// peekResponse
// ---------------------------------------------------------------------------------------------

describe('peekResponse', () => {
  it('returns the claimed issuer and InResponseTo without verifying anything', () => {
    expect(peekResponse(idp.buildResponse(baseOptions()))).toMatchObject({ issuer: idp.entityId, inResponseTo: REQUEST_ID });
    expect(peekResponse(idp.buildResponse(baseOptions({ inResponseTo: undefined, signAssertion: false })))).toMatchObject({
      issuer: idp.entityId,
      inResponseTo: null,
    });
  });

  it('falls back to the assertion Issuer when the Response has none', () => {
    const xml = mutate(idp.buildResponseXml(baseOptions()), (doc) => {
      const response = doc.documentElement!;
      response.removeChild(childElements(response, NS.saml, 'Issuer')[0]!);
    });
    expect(peekResponse(b64(xml)).issuer).toBe(idp.entityId);
  });

  it('refuses DOCTYPEs and malformed input', () => {
    const doctype = attackResponses(idp, baseOptions(), { now: NOW }).find((a) => a.name === 'doctype-external-dtd')!;
    expect(rejectionOf(() => peekResponse(doctype.samlResponse)).reason).toBe('doctype_forbidden');
    expect(rejectionOf(() => peekResponse(b64('<a>'))).reason).toBe('malformed_response');
    expect(rejectionOf(() => peekResponse(b64('<a/>'))).reason).toBe('malformed_response');
  });
});
