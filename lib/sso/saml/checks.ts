/**
 * Strict checks of a posted SAML 2.0 Response (Web Browser SSO profile, HTTP-POST binding), run by
 * the ACS route on the raw `SAMLResponse` BEFORE it is handed to @boxyhq/saml-jackson.
 *
 * The library has gaps (prefix Audience match; no Recipient / Destination /
 * SubjectConfirmationData checks; InResponseTo only when present; accepts some signature-wrapping
 * shapes, DOCTYPEs and RSA-SHA1). This module closes them and is the portal's contract; it is
 * deliberately independent of the library (and of the test IdP in e2e/), uses only xml-crypto and
 * @xmldom/xmldom, and is pure: no I/O, no clock other than `exp.now` / `new Date()`.
 *
 * Shape of the check, in order (the first failure wins; see {@link SAML_FAILURE_REASONS}):
 *  1. decode: size limit, strict base64, UTF-8, no DOCTYPE/ENTITY (string-level, before parsing);
 *  2. parse with xmldom, any parser warning/error is fatal; root must be samlp:Response;
 *  3. Response-level (unsigned unless the response is signed, so these checks can only reject):
 *     Status, Issuer, Destination, InResponseTo;
 *  4. structure: exactly one saml:Assertion anywhere, as a direct child of the Response; no comments in it;
 *  5. signatures: SHA-1 anywhere is refused, every ds:Signature must be one of the two enveloped
 *     signatures we accept and must verify against the configured certificates; at least one must
 *     cover the assertion;
 *  6. everything below is read from the signed element only: Issuer, Conditions, Subject,
 *     statements. The common signature shape is verified on our own parse and the assertion read
 *     from it (one parse per response); any other shape goes through xml-crypto's full check and
 *     the assertion is re-parsed from its canonical output of the verified reference.
 */
import { createHash, createPrivateKey, type KeyObject, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { DOMParser, XMLSerializer, type Document as XmlDocument, type Element as XmlElement, type Node as XmlNode } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, type HashAlgorithm, type SignatureAlgorithm, SignedXml } from 'xml-crypto';
import { findAncestorNsForElement } from 'xml-crypto/lib/utils';
import { checkEncryptedShape, decryptAssertionXml, EncryptionRefused, inspectEncryptedAssertion } from './decrypt';
import { domShapeProblem, xmlShapeProblem } from './xml-shape';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export const SAML_FAILURE_REASONS = [
  // Transport / document
  'response_too_large',
  'malformed_response',
  'doctype_forbidden',
  // Response level
  'status_not_success',
  'destination_mismatch',
  // Structure
  'assertion_missing',
  'encrypted_assertion_unsupported',
  'multiple_assertions',
  // Encryption (./decrypt.ts)
  'decryption_failed',
  'encryption_unsupported',
  'assertion_not_encrypted',
  'comment_forbidden',
  // Signatures (an untrusted signing certificate is reported as signature_invalid)
  'weak_algorithm',
  'signature_missing',
  'signature_invalid',
  // Assertion content
  'issuer_mismatch',
  'not_yet_valid',
  'expired',
  'audience_mismatch',
  'recipient_mismatch',
  'subject_confirmation_expired',
  'in_response_to_missing',
  'in_response_to_mismatch',
] as const;

export type SamlFailureReason = (typeof SAML_FAILURE_REASONS)[number];

/** A response refused for a typed reason. The message is for logs, not for end users. */
export class SamlRejection extends Error {
  constructor(
    readonly reason: SamlFailureReason,
    message: string,
    options?: ErrorOptions,
    /** For status_not_success: the status codes of the Response (top level, then second level). */
    readonly statusCodes: string[] = [],
  ) {
    super(message, options);
    this.name = 'SamlRejection';
  }
}

export type SamlExpectations = {
  /** The Audience must equal this exactly. */
  spEntityId: string;
  /** Recipient (and Destination when present) must equal this exactly. */
  acsUrl: string;
  /** The assertion Issuer must equal this (the Response Issuer too, when present). */
  idpEntityId: string;
  /** IdP signing certificates, PEM or bare base64 DER; a signature by any of them is accepted. */
  certificates: string[];
  /** The AuthnRequest ID this browser's flow sent; null = unsolicited (IdP-initiated) flow. */
  expectedInResponseTo: string | null;
  /** Default: new Date(). */
  now?: Date;
  /** Default 180. */
  clockSkewSeconds?: number;
  /** Tests only: verify every signature with xml-crypto's full check, even the common shape. */
  alwaysXmlCrypto?: boolean;
  /** The SP's encryption private keys (PEM or KeyObject); an EncryptedAssertion is decrypted with whichever fits. */
  decryptionKeys?: (string | KeyObject)[];
  /** Refuse a plain (unencrypted) assertion. */
  requireEncryption?: boolean;
};

export type CheckedAssertion = {
  assertionId: string;
  issuer: string;
  /** Trimmed of surrounding whitespace. */
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** SubjectConfirmationData/@InResponseTo of the bearer confirmation that was accepted. */
  inResponseTo: string | null;
  /** The latest moment this assertion could still be accepted (skew included): the replay-cache expiry. */
  notOnOrAfter: Date;
  authnContextClassRef: string | null;
  /**
   * Keyed by Name AND (when present and different) by FriendlyName; values in document order,
   * untrimmed; xsi:nil values are left out. Attributes sharing a key have their values merged.
   * A null-prototype object, so keys such as `constructor` are never inherited.
   */
  attributes: Record<string, string[]>;
  /** The index in `decryptionKeys` of the key that decrypted the assertion; null when it was not encrypted. */
  decryptedWithKey: number | null;
  /** The indexes in `certificates` of those whose keys verified a signature of this response. */
  signedWith: number[];
};

/**
 * A decoded and parsed SAMLResponse, not yet checked: what {@link peekResponse} returns and
 * {@link checkSamlResponse} accepts, so the ACS parses each response once.
 */
export type PeekedResponse = {
  /** The Response Issuer (or, when the Response has none, the Issuer of its assertion). Unauthenticated. */
  issuer: string | null;
  /** Response/@InResponseTo. Unauthenticated. */
  inResponseTo: string | null;
  /** It holds an EncryptedAssertion (to be decrypted with the SP's keys). */
  encrypted: boolean;
  readonly parsed: Parsed;
};

type Parsed = { xml: string; doc: XmlDocument; response: XmlElement };

/**
 * Cheap look at an unverified response to find which connection it claims to come from. Nothing
 * returned here is authenticated; pass the result to {@link checkSamlResponse}.
 *
 * Throws SamlRejection (response_too_large, doctype_forbidden, malformed_response).
 */
export function peekResponse(samlResponseBase64: string): PeekedResponse {
  return failClosed(() => {
    const xml = decodeSamlResponse(samlResponseBase64);
    const doc = parseStrict(xml, 'SAMLResponse');
    const response = responseRoot(doc);
    const issuerEl =
      children(response, NS.saml, 'Issuer')[0] ??
      children(response, NS.saml, 'Assertion').flatMap((a) => children(a, NS.saml, 'Issuer'))[0];
    return {
      issuer: issuerEl ? textOf(issuerEl).trim() || null : null,
      inResponseTo: attr(response, 'InResponseTo') || null,
      encrypted: doc.getElementsByTagNameNS(NS.saml, 'EncryptedAssertion').length > 0,
      parsed: { xml, doc, response },
    };
  });
}

/**
 * Checks a SAMLResponse (base64, or as {@link peekResponse} returned it) against the connection's expectations.
 *
 * Throws SamlRejection with a typed reason; returns data read ONLY from the signed content.
 * Throws a plain Error (a configuration error, not a rejection) when `exp` itself is unusable,
 * e.g. a certificate that does not parse or an empty entity ID.
 */
export function checkSamlResponse(samlResponse: string | PeekedResponse, exp: SamlExpectations): CheckedAssertion {
  const ctx = prepareExpectations(exp);
  return failClosed(() => check(typeof samlResponse === 'string' ? peekResponse(samlResponse).parsed : samlResponse.parsed, ctx));
}

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

const NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';

/** Decoded size limit. Real responses are a few KiB; even with many attributes they stay far below. */
const MAX_DECODED_BYTES = 512 * 1024;
const DEFAULT_SKEW_SECONDS = 180;

type HashName = 'sha256' | 'sha384' | 'sha512';

const SIGNATURE_METHODS: Record<string, { hash: HashName; keyType: 'rsa' | 'ec' }> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'sha256', keyType: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384', keyType: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', keyType: 'rsa' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'sha256', keyType: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'sha384', keyType: 'ec' },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { hash: 'sha512', keyType: 'ec' },
};

const DIGEST_METHODS: Record<string, HashName> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

const C14N_METHODS = new Set([
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);
const TRANSFORMS = new Set([...C14N_METHODS, 'http://www.w3.org/2000/09/xmldsig#enveloped-signature']);

/** SHA-1 and older digests, in any algorithm URI (rsa-sha1, xmldsig#sha1, sha1-rsa-MGF1, hmac-sha1, rsa-md5, …). */
const WEAK_ALGORITHM = /(^|[#-])(sha1|md5|sha224|ripemd160)($|-)/i;

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

type Context = {
  spEntityId: string;
  acsUrl: string;
  idpEntityId: string;
  keys: KeyObject[];
  /** The keys that verified a signature so far. */
  signedBy: Set<KeyObject>;
  expectedInResponseTo: string | null;
  nowMs: number;
  skewMs: number;
  alwaysXmlCrypto: boolean;
  decryptionKeys: KeyObject[];
  requireEncryption: boolean;
};

function check({ xml, doc, response }: Parsed, ctx: Context): CheckedAssertion {
  const responseId = requireId(response, 'Response');

  // --- Response level: all of this may be unsigned, so it can only ever reject. -------------
  checkStatus(response);
  const responseIssuer = optionalOnlyChild(response, NS.saml, 'Issuer', 'Response');
  if (responseIssuer && textOf(responseIssuer).trim() !== ctx.idpEntityId) {
    reject('issuer_mismatch', `Response Issuer ${quote(textOf(responseIssuer))} is not the IdP's entity ID`);
  }
  const destination = attr(response, 'Destination');
  if (destination !== null && destination !== ctx.acsUrl) {
    reject('destination_mismatch', `Response Destination ${quote(destination)} is not this ACS URL`);
  }
  checkInResponseTo(attr(response, 'InResponseTo'), ctx.expectedInResponseTo, 'Response', false);

  // --- Structure --------------------------------------------------------------------------------
  // Counted by namespace over the whole document (Extensions, Advice, ds:Object, …): every
  // signature-wrapping shape needs a second assertion somewhere.
  countAssertions(doc);
  let decrypted: Decrypted | null = null;
  if (doc.getElementsByTagNameNS(NS.saml, 'EncryptedAssertion').length) {
    // Decrypted into a copy of its own: the parsed response may be checked for several connections.
    doc = parseStrict(xml, 'SAMLResponse');
    response = doc.documentElement!;
    decrypted = decryptInPlace(xml, doc, response, responseId, doc.getElementsByTagNameNS(NS.saml, 'EncryptedAssertion')[0], ctx);
  }
  else if (ctx.requireEncryption) reject('assertion_not_encrypted', 'this connection accepts encrypted assertions only');
  // A CBC-encrypted assertion whose ciphertext no verified signature covered: until its own
  // signature has verified, every refusal reads the same (no padding or parsing oracle).
  return decrypted?.unauthenticated ? sameAnswerUntilVerified(() => checkAssertion(xml, doc, response, responseId, ctx, decrypted)) : checkAssertion(xml, doc, response, responseId, ctx, decrypted);
}

type Decrypted = { keyIndex: number; responseVerified: boolean; unauthenticated: boolean };

function countAssertions(doc: XmlDocument): void {
  const count = doc.getElementsByTagNameNS(NS.saml, 'Assertion').length + doc.getElementsByTagNameNS(NS.saml, 'EncryptedAssertion').length;
  if (count > 1) reject('multiple_assertions', `the document holds ${count} assertions; exactly one is accepted`);
}

/**
 * Replaces the one EncryptedAssertion (a direct child of the Response) with the assertion it
 * holds. A Response signature, the only signature allowed outside it, is verified first, over the
 * encrypted form as the IdP signed it.
 */
function decryptInPlace(xml: string, doc: XmlDocument, response: XmlElement, responseId: string, encrypted: XmlElement, ctx: Context): Decrypted {
  if (!ctx.decryptionKeys.length) reject('encrypted_assertion_unsupported', 'no SP encryption key is configured');
  if (encrypted.parentNode !== response) reject('malformed_response', 'the encrypted assertion is not a direct child of the Response');
  const signatures = signaturesOf(doc);
  for (const signature of signatures) rejectWeakAlgorithms(signature);
  let responseSignature: XmlElement | null = null;
  for (const signature of signatures) {
    const { uri } = inspectSignature(signature);
    if (signature.parentNode === response && uri === `#${responseId}` && !responseSignature) responseSignature = signature;
    else reject('signature_invalid', `unexpected ds:Signature (Reference ${quote(uri)}) outside the assertion`);
  }
  if (responseSignature) {
    if (countIds(doc).get(responseId) !== 1) reject('signature_invalid', `the signed ID ${quote(responseId)} is not unique in the document`);
    if (ctx.alwaysXmlCrypto || !verifyOnOwnParse(responseSignature, response, ctx.keys, ctx.signedBy, 'the Response signature')) {
      verifySignature(xml, responseSignature, ctx.keys, ctx.signedBy, 'the Response signature');
    }
  }
  let cbc = false;
  let plain: { xml: string; keyIndex: number };
  try {
    const parts = inspectEncryptedAssertion(encrypted);
    checkEncryptedShape(doc.documentElement!, encrypted, parts);
    cbc = parts.content.mode === 'cbc';
    plain = decryptAssertionXml(encrypted, ctx.decryptionKeys);
  } catch (e) {
    if (e instanceof EncryptionRefused) reject(e.reason, e.message);
    reject('decryption_failed', 'the encrypted assertion could not be decrypted with the SP encryption keys');
  }
  // Characters XML 1.0 forbids (which xmldom reads as whitespace) make a tampered ciphertext fail too.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(plain.xml)) reject('decryption_failed', 'the decrypted content holds characters XML forbids');
  let root: XmlElement;
  try {
    root = parseStrict(plain.xml, 'the decrypted assertion').documentElement!;
  } catch {
    reject('decryption_failed', 'the decrypted content is not well-formed XML');
  }
  if (!isElement(root, NS.saml, 'Assertion')) reject('decryption_failed', 'the decrypted content is not one saml:Assertion');
  response.replaceChild(doc.importNode(root, true), encrypted);
  countAssertions(doc);
  return { keyIndex: plain.keyIndex, responseVerified: !!responseSignature, unauthenticated: cbc && !responseSignature };
}

function sameAnswerUntilVerified<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SamlRejection && !(e as SamlRejection & { afterSignature?: boolean }).afterSignature) {
      reject('decryption_failed', `the encrypted assertion could not be decrypted and verified (${e.reason}: ${e.message.slice(0, 200)})`);
    }
    throw e;
  }
}

function checkAssertion(xml: string, doc: XmlDocument, response: XmlElement, responseId: string, ctx: Context, decrypted: Decrypted | null): CheckedAssertion {
  const assertions = doc.getElementsByTagNameNS(NS.saml, 'Assertion');
  const assertion = assertions[0];
  if (!assertion) reject('assertion_missing', 'the response holds no assertion');
  if (assertion.parentNode !== response) reject('malformed_response', 'the assertion is not a direct child of the Response');
  const assertionId = requireId(assertion, 'Assertion');
  // Canonicalization drops comments, so a comment can split a signed text node without breaking
  // the signature (NameID comment injection); xml-crypto renders a processing instruction's data
  // as if it were text, which a DOM reader skips. Nothing legitimate puts either in an assertion.
  if (containsCommentOrInstruction(assertion)) {
    reject('comment_forbidden', 'the assertion contains an XML comment or processing instruction');
  }
  // xml-crypto reads text: after decryption, the document as it now is.
  const xmlOf = () => (decrypted ? new XMLSerializer().serializeToString(doc) : xml);

  // --- Signatures ----------------------------------------------------------------------------
  const signatures = signaturesOf(doc);
  // SHA-1 anywhere is refused before anything else about signatures is looked at.
  for (const signature of signatures) rejectWeakAlgorithms(signature);

  let assertionSignature: XmlElement | null = null;
  let responseSignature: XmlElement | null = null;
  for (const signature of signatures) {
    const { uri } = inspectSignature(signature);
    if (signature.parentNode === assertion && uri === `#${assertionId}` && !assertionSignature) {
      assertionSignature = signature;
    } else if (signature.parentNode === response && uri === `#${responseId}` && !responseSignature) {
      responseSignature = signature;
    } else {
      // A signature anywhere else, over anything else, or a second one on the same element: it
      // cannot be what authenticates the assertion, and "every signature present must verify"
      // cannot be judged for it, so refuse rather than ignore it.
      const parent = (signature.parentNode as XmlElement).nodeName;
      reject('signature_invalid', `unexpected ds:Signature (Reference ${quote(uri)}) under <${parent}>`);
    }
  }
  if (!assertionSignature && !responseSignature) {
    reject('signature_missing', 'neither the assertion nor the response is signed');
  }

  // xml-crypto resolves a Reference by any attribute named ID, Id or id (in any namespace); make
  // sure each referenced ID names exactly one element, the one we just looked at.
  const idCounts = countIds(doc);
  for (const [signature, id] of [
    [assertionSignature, assertionId],
    [responseSignature, responseId],
  ] as const) {
    if (signature && idCounts.get(id) !== 1) {
      reject('signature_invalid', `the signed ID ${quote(id)} is not unique in the document`);
    }
  }

  // Verify every signature present; read the assertion from the assertion's own signed
  // reference when there is one, else from inside the signed Response. The common shape is
  // verified on our own parse, and the signed element is read from it; any other shape goes
  // through xml-crypto's full check and is read from its canonical output.
  let signedAssertion: XmlElement | null = null;
  if (responseSignature && decrypted?.responseVerified) {
    // Verified before decryption, over the encrypted form: it covers the ciphertext, so the assertion.
    if (!assertionSignature) signedAssertion = assertion;
  } else if (responseSignature) {
    if (!ctx.alwaysXmlCrypto && verifyOnOwnParse(responseSignature, response, ctx.keys, ctx.signedBy, 'the Response signature')) {
      if (!assertionSignature) signedAssertion = assertion;
    } else {
      const signedResponseXml = verifySignature(xml, responseSignature, ctx.keys, ctx.signedBy, 'the Response signature');
      if (!assertionSignature) signedAssertion = assertionFromSignedResponse(signedResponseXml, responseId, assertionId);
    }
  }
  if (assertionSignature) {
    if (!ctx.alwaysXmlCrypto && verifyOnOwnParse(assertionSignature, assertion, ctx.keys, ctx.signedBy, 'the Assertion signature')) {
      signedAssertion = assertion;
    } else {
      const signedXml = verifySignature(xmlOf(), assertionSignature, ctx.keys, ctx.signedBy, 'the Assertion signature');
      const root = parseStrict(signedXml, 'the signed assertion').documentElement!;
      if (!isElement(root, NS.saml, 'Assertion') || attr(root, 'ID') !== assertionId) {
        reject('signature_invalid', 'the Assertion signature does not cover the assertion');
      }
      signedAssertion = root;
    }
  }

  // --- From here on, only the signed copy is read: its refusals are no oracle. ---------------
  try {
    return {
      ...readSignedAssertion(signedAssertion!, assertionId, ctx),
      decryptedWithKey: decrypted?.keyIndex ?? null,
      signedWith: ctx.keys.flatMap((key, i) => (ctx.signedBy.has(key) ? [i] : [])),
    };
  } catch (e) {
    if (e instanceof SamlRejection) Object.assign(e, { afterSignature: true });
    throw e;
  }
}

/** How long after its IssueInstant an assertion may be used (see readSignedAssertion). */
const MAX_ASSERTION_AGE_MS = 3600 * 1000;

function readSignedAssertion(assertion: XmlElement, assertionId: string, ctx: Context): Omit<CheckedAssertion, 'decryptedWithKey' | 'signedWith'> {
  if (attr(assertion, 'Version') !== '2.0') reject('malformed_response', 'the assertion is not SAML 2.0');

  const issuerEl = optionalOnlyChild(assertion, NS.saml, 'Issuer', 'Assertion');
  const issuer = issuerEl ? textOf(issuerEl).trim() : '';
  if (issuer !== ctx.idpEntityId) reject('issuer_mismatch', `assertion Issuer ${quote(issuer)} is not the IdP's entity ID`);

  // Each bound on acceptance contributes to the returned `notOnOrAfter` (the replay-cache expiry).
  // The first is the portal's own: an assertion is used within an hour of its issue, whatever its
  // conditions say (an IdP writing year 9999 must not make its replay-cache row permanent).
  const issueInstant = attr(assertion, 'IssueInstant');
  if (issueInstant === null) reject('malformed_response', 'the assertion has no IssueInstant');
  const issued = parseInstant(issueInstant, 'Assertion/@IssueInstant');
  if (issued > ctx.nowMs + ctx.skewMs) reject('not_yet_valid', `the assertion is issued in the future (${issueInstant})`);
  if (issued + MAX_ASSERTION_AGE_MS <= ctx.nowMs - ctx.skewMs) reject('expired', `the assertion was issued more than an hour ago (${issueInstant})`);
  const bounds: number[] = [issued + MAX_ASSERTION_AGE_MS];
  checkConditions(assertion, ctx, bounds);
  const subject = checkSubject(assertion, ctx, bounds);

  // AuthnStatement: the first one supplies SessionIndex / AuthnContextClassRef.
  const authnStatements = children(assertion, NS.saml, 'AuthnStatement');
  let sessionIndex: string | null = null;
  let authnContextClassRef: string | null = null;
  for (const statement of authnStatements) {
    // The IdP session has ended: the IdP itself says the assertion must no longer be used.
    const sessionEnd = attr(statement, 'SessionNotOnOrAfter');
    if (sessionEnd !== null) {
      const end = parseInstant(sessionEnd, 'AuthnStatement/@SessionNotOnOrAfter');
      if (end <= ctx.nowMs - ctx.skewMs) reject('expired', 'the IdP session (SessionNotOnOrAfter) has ended');
      bounds.push(end);
    }
  }
  const firstStatement = authnStatements[0];
  if (firstStatement) {
    sessionIndex = attr(firstStatement, 'SessionIndex');
    const classRef = children(firstStatement, NS.saml, 'AuthnContext').flatMap((c) =>
      children(c, NS.saml, 'AuthnContextClassRef'),
    )[0];
    authnContextClassRef = classRef ? textOf(classRef).trim() || null : null;
  }

  return {
    assertionId,
    issuer,
    nameId: subject.nameId,
    nameIdFormat: subject.nameIdFormat,
    sessionIndex,
    inResponseTo: subject.inResponseTo,
    notOnOrAfter: new Date(Math.min(...bounds) + ctx.skewMs),
    authnContextClassRef,
    attributes: readAttributes(assertion),
  };
}

function checkConditions(assertion: XmlElement, ctx: Context, bounds: number[]): void {
  const conditions = optionalOnlyChild(assertion, NS.saml, 'Conditions', 'Assertion');
  if (!conditions) reject('audience_mismatch', 'the assertion has no Conditions, so no AudienceRestriction');

  const notBefore = attr(conditions, 'NotBefore');
  if (notBefore !== null && parseInstant(notBefore, 'Conditions/@NotBefore') > ctx.nowMs + ctx.skewMs) {
    reject('not_yet_valid', `the assertion is not valid before ${notBefore}`);
  }
  const notOnOrAfter = attr(conditions, 'NotOnOrAfter');
  if (notOnOrAfter !== null) {
    const end = parseInstant(notOnOrAfter, 'Conditions/@NotOnOrAfter');
    if (end <= ctx.nowMs - ctx.skewMs) reject('expired', `the assertion expired at ${notOnOrAfter}`);
    bounds.push(end);
  }

  // A generic <saml:Condition xsi:type=…> is an extension we do not understand; SAML core §2.5.1.2
  // makes the assertion's validity Indeterminate then, which we do not accept.
  if (children(conditions, NS.saml, 'Condition').length > 0) {
    reject('malformed_response', 'the assertion has a Condition this SP does not understand');
  }

  const restrictions = children(conditions, NS.saml, 'AudienceRestriction');
  if (restrictions.length === 0) reject('audience_mismatch', 'the assertion has no AudienceRestriction');
  for (const restriction of restrictions) {
    // Audience is xs:anyURI, whose whitespace facet is "collapse": surrounding whitespace is not
    // part of the value. Otherwise the comparison is exact (no prefix, no trailing-slash tolerance).
    const audiences = children(restriction, NS.saml, 'Audience').map((a) => textOf(a).trim());
    if (!audiences.includes(ctx.spEntityId)) {
      reject('audience_mismatch', `AudienceRestriction [${audiences.map(quote).join(', ')}] does not name this SP`);
    }
  }
}

function checkSubject(
  assertion: XmlElement,
  ctx: Context,
  bounds: number[],
): { nameId: string; nameIdFormat: string | null; inResponseTo: string | null } {
  const subject = optionalOnlyChild(assertion, NS.saml, 'Subject', 'Assertion');
  if (!subject) reject('malformed_response', 'the assertion has no Subject');

  const nameIdEl = optionalOnlyChild(subject, NS.saml, 'NameID', 'Subject');
  if (!nameIdEl) {
    if (children(subject, NS.saml, 'EncryptedID').length > 0) {
      reject('encrypted_assertion_unsupported', 'encrypted NameIDs are not supported');
    }
    reject('malformed_response', 'the Subject has no NameID');
  }
  const nameId = textOf(nameIdEl).trim();
  if (!nameId) reject('malformed_response', 'the NameID is empty');

  const bearers = children(subject, NS.saml, 'SubjectConfirmation').filter((sc) => attr(sc, 'Method') === CM_BEARER);
  if (bearers.length === 0) reject('malformed_response', 'the Subject has no bearer SubjectConfirmation');

  // Any one bearer confirmation that satisfies everything is enough; if none does, report why
  // the first one failed.
  let firstFailure: SamlRejection | null = null;
  for (const confirmation of bearers) {
    try {
      const { end, inResponseTo } = checkBearerConfirmation(confirmation, ctx);
      bounds.push(end);
      return { nameId, nameIdFormat: attr(nameIdEl, 'Format'), inResponseTo };
    } catch (err) {
      if (!(err instanceof SamlRejection)) throw err;
      firstFailure ??= err;
    }
  }
  throw firstFailure!;
}

function checkBearerConfirmation(
  confirmation: XmlElement,
  ctx: Context,
): { end: number; inResponseTo: string | null } {
  const data = optionalOnlyChild(confirmation, NS.saml, 'SubjectConfirmationData', 'SubjectConfirmation');
  const recipient = data ? attr(data, 'Recipient') : null;
  if (recipient !== ctx.acsUrl) {
    reject('recipient_mismatch', `SubjectConfirmationData Recipient ${quote(recipient)} is not this ACS URL`);
  }
  const notOnOrAfter = attr(data!, 'NotOnOrAfter');
  // The profile requires the bound; an unbounded bearer confirmation would be replayable forever.
  if (notOnOrAfter === null) reject('subject_confirmation_expired', 'SubjectConfirmationData has no NotOnOrAfter');
  const end = parseInstant(notOnOrAfter, 'SubjectConfirmationData/@NotOnOrAfter');
  if (end <= ctx.nowMs - ctx.skewMs) {
    reject('subject_confirmation_expired', `the subject confirmation expired at ${notOnOrAfter}`);
  }
  const notBefore = attr(data!, 'NotBefore');
  if (notBefore !== null && parseInstant(notBefore, 'SubjectConfirmationData/@NotBefore') > ctx.nowMs + ctx.skewMs) {
    reject('not_yet_valid', `the subject confirmation is not valid before ${notBefore}`);
  }
  const inResponseTo = attr(data!, 'InResponseTo');
  checkInResponseTo(inResponseTo, ctx.expectedInResponseTo, 'SubjectConfirmationData', true);
  return { end, inResponseTo };
}

function checkInResponseTo(actual: string | null, expected: string | null, where: string, required: boolean): void {
  if (expected === null) {
    if (actual !== null) {
      reject('in_response_to_mismatch', `${where} InResponseTo ${quote(actual)} in an unsolicited (IdP-initiated) flow`);
    }
    return;
  }
  if (actual === null) {
    if (required) reject('in_response_to_missing', `${where} has no InResponseTo although a request is pending`);
    return;
  }
  if (actual !== expected) {
    reject('in_response_to_mismatch', `${where} InResponseTo ${quote(actual)} is not the pending request`);
  }
}

function checkStatus(response: XmlElement): void {
  const status = optionalOnlyChild(response, NS.samlp, 'Status', 'Response');
  if (!status) reject('malformed_response', 'the Response has no Status');
  const code = optionalOnlyChild(status, NS.samlp, 'StatusCode', 'Status');
  const value = code ? attr(code, 'Value') : null;
  if (value === STATUS_SUCCESS) return;
  const second = code ? attr(children(code, NS.samlp, 'StatusCode')[0] ?? code, 'Value') : null;
  const message = children(status, NS.samlp, 'StatusMessage')[0];
  throw new SamlRejection(
    'status_not_success',
    `status ${quote(value)}` +
      (second && second !== value ? ` / ${quote(second)}` : '') +
      (message ? `: ${quote(textOf(message))}` : ''),
    undefined,
    [value, second].filter((v): v is string => !!v),
  );
}

function readAttributes(assertion: XmlElement): Record<string, string[]> {
  const attributes: Record<string, string[]> = Object.create(null);
  const add = (key: string, values: string[]) => {
    (attributes[key] ??= []).push(...values);
  };
  for (const statement of children(assertion, NS.saml, 'AttributeStatement')) {
    if (children(statement, NS.saml, 'EncryptedAttribute').length > 0) {
      reject('encrypted_assertion_unsupported', 'encrypted attributes are not supported');
    }
    for (const attribute of children(statement, NS.saml, 'Attribute')) {
      const name = attr(attribute, 'Name');
      if (!name) reject('malformed_response', 'an Attribute has no Name');
      const values = children(attribute, NS.saml, 'AttributeValue')
        .filter((v) => !['true', '1'].includes((v.getAttributeNS(NS.xsi, 'nil') ?? '').trim()))
        .map(textOf);
      add(name, values);
      const friendlyName = attr(attribute, 'FriendlyName');
      if (friendlyName && friendlyName !== name) add(friendlyName, values);
    }
  }
  return attributes;
}

// ---------------------------------------------------------------------------------------------
// Signatures
// ---------------------------------------------------------------------------------------------

/** The document's ds:Signature elements: at most two (the assertion's and the Response's) are ever accepted. */
function signaturesOf(doc: XmlDocument): XmlElement[] {
  const signatures = Array.from(doc.getElementsByTagNameNS(NS.ds, 'Signature'));
  if (signatures.length > 2) reject('signature_invalid', `the document holds ${signatures.length} ds:Signature elements; at most two are accepted`);
  return signatures;
}

function rejectWeakAlgorithms(signature: XmlElement): void {
  for (const el of Array.from(signature.getElementsByTagName('*'))) {
    const algorithm = attr(el, 'Algorithm');
    if (algorithm !== null && WEAK_ALGORITHM.test(algorithm)) {
      reject('weak_algorithm', `${el.localName} uses ${algorithm}`);
    }
  }
}

/**
 * Structural checks of one ds:Signature, on our own parse. xml-crypto looks its parts up by local
 * name only and sometimes anywhere below the Signature (`.//SignatureMethod`), so each part must
 * occur exactly once in the whole Signature subtree, in the ds namespace, where the schema puts it.
 */
function inspectSignature(signature: XmlElement): { uri: string } {
  const one = (parent: XmlElement, localName: string): XmlElement => {
    const all = Array.from(signature.getElementsByTagName('*')).filter((el) => el.localName === localName);
    const el = all[0];
    if (all.length !== 1 || el!.namespaceURI !== NS.ds || el!.parentNode !== parent) {
      reject('signature_invalid', `a ds:Signature must hold exactly one ds:${localName}, in ds:${parent.localName}`);
    }
    return el!;
  };
  const signedInfo = one(signature, 'SignedInfo');
  one(signature, 'SignatureValue');
  const c14n = attr(one(signedInfo, 'CanonicalizationMethod'), 'Algorithm') ?? '';
  const signatureMethod = attr(one(signedInfo, 'SignatureMethod'), 'Algorithm') ?? '';
  const reference = one(signedInfo, 'Reference');
  const digestMethod = attr(one(reference, 'DigestMethod'), 'Algorithm') ?? '';
  one(reference, 'DigestValue');

  if (!C14N_METHODS.has(c14n)) reject('signature_invalid', `unsupported CanonicalizationMethod ${quote(c14n)}`);
  if (!(signatureMethod in SIGNATURE_METHODS)) {
    reject('signature_invalid', `unsupported SignatureMethod ${quote(signatureMethod)}`);
  }
  if (!(digestMethod in DIGEST_METHODS)) reject('signature_invalid', `unsupported DigestMethod ${quote(digestMethod)}`);

  const transformsEls = Array.from(signature.getElementsByTagName('*')).filter((el) => el.localName === 'Transforms');
  if (transformsEls.length > 1) reject('signature_invalid', 'a ds:Signature must hold at most one ds:Transforms');
  if (transformsEls[0]) {
    const transforms = one(reference, 'Transforms');
    for (const transform of children(transforms, NS.ds, 'Transform')) {
      const algorithm = attr(transform, 'Algorithm') ?? '';
      if (!TRANSFORMS.has(algorithm)) reject('signature_invalid', `unsupported Transform ${quote(algorithm)}`);
    }
  }

  const uri = attr(reference, 'URI') ?? '';
  return { uri };
}

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * Verifies the common signature shape on our own parse, without parsing the document again:
 * exclusive C14N of SignedInfo (no InclusiveNamespaces there), one Reference to `signed` with
 * exactly the transforms enveloped-signature then exclusive C14N (an InclusiveNamespaces
 * PrefixList allowed), and no comments in `signed`. The canonical forms are made by xml-crypto's
 * own canonicalizer with the options its checkSignature passes, so a signature verifies here
 * exactly when it verifies there (lib/sso/saml/checks.test.ts compares both on the attack corpus).
 *
 * Returns false, having decided nothing, for any other shape: the caller then runs
 * {@link verifySignature}. Throws SamlRejection when the signature does not verify.
 * {@link inspectSignature} has already checked the Signature's parts (each once, in place).
 */
function verifyOnOwnParse(signature: XmlElement, signed: XmlElement, keys: KeyObject[], signedBy: Set<KeyObject>, what: string): boolean {
  const signedInfo = children(signature, NS.ds, 'SignedInfo')[0]!;
  const c14nMethod = children(signedInfo, NS.ds, 'CanonicalizationMethod')[0]!;
  if (attr(c14nMethod, 'Algorithm') !== EXC_C14N || c14nMethod.firstChild) return false;
  const reference = children(signedInfo, NS.ds, 'Reference')[0]!;
  const transformList = children(reference, NS.ds, 'Transforms')[0];
  const transforms = transformList ? children(transformList, NS.ds, 'Transform') : [];
  if (transforms.length !== 2 || attr(transforms[0]!, 'Algorithm') !== ENVELOPED || attr(transforms[1]!, 'Algorithm') !== EXC_C14N) {
    return false;
  }
  let prefixList: string[] = [];
  for (let n = transforms[1]!.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 3 && !(n.nodeValue ?? '').trim()) continue;
    if (!isElement(n, EXC_C14N, 'InclusiveNamespaces') || prefixList.length) return false;
    prefixList = (attr(n, 'PrefixList') ?? '').split(' ').filter(Boolean);
  }
  if (containsCommentOrInstruction(signed)) return false;
  const { hash, keyType } = SIGNATURE_METHODS[attr(children(signedInfo, NS.ds, 'SignatureMethod')[0]!, 'Algorithm')!]!;
  const digestMethod = DIGEST_METHODS[attr(children(reference, NS.ds, 'DigestMethod')[0]!, 'Algorithm')!]!;
  const digestValue = textOf(children(reference, NS.ds, 'DigestValue')[0]!);
  const signatureValue = textOf(children(signature, NS.ds, 'SignatureValue')[0]!);

  // The reference: a copy of the signed element without this signature (enveloped-signature),
  // canonicalized with the namespaces in scope above it (for the PrefixList).
  const copy = signed.cloneNode(true) as XmlElement;
  const path: number[] = [];
  for (let n: XmlNode = signature; n !== signed; n = n.parentNode!) path.unshift(Array.prototype.indexOf.call(n.parentNode!.childNodes, n));
  const copiedSignature = path.reduce<XmlNode>((node, i) => node.childNodes[i]!, copy);
  copiedSignature.parentNode!.removeChild(copiedSignature);
  const canonical = (el: XmlElement, options: object) =>
    String(new ExclusiveCanonicalization().process(el as unknown as Element, { defaultNsForPrefix: SignedXml.defaultNsForPrefix, ...options }));
  const referenced = canonical(copy, {
    inclusiveNamespacesPrefixList: prefixList,
    ancestorNamespaces: findAncestorNsForElement(signed as unknown as Element),
  });
  const digest = createHash(digestMethod).update(referenced, 'utf8').digest();
  if (!digest.equals(Buffer.from(digestValue, 'base64'))) {
    reject('signature_invalid', `${what}: the signed content was modified (digest mismatch)`);
  }
  const signedInfoCanonical = Buffer.from(canonical(signedInfo.cloneNode(true) as XmlElement, {}), 'utf8');
  const signatureBytes = Buffer.from(signatureValue, 'base64');
  // Only keys of the algorithm's type: an rsa-sha256 signature is never checked as ECDSA.
  const verified = keys.find(
    (key) =>
      key.asymmetricKeyType === keyType &&
      cryptoVerify(hash, signedInfoCanonical, keyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key, signatureBytes),
  );
  if (!verified) reject('signature_invalid', `${what} does not verify with any configured IdP certificate`);
  signedBy.add(verified);
  return true;
}

/**
 * Verifies one signature with xml-crypto against the configured keys only, and returns the
 * canonical XML of what its (single) Reference covers.
 *
 * KeyInfo is never used: xml-crypto 6 defaults `getCertFromKeyInfo` to a no-op, and we do not
 * override it. Instead of running xml-crypto once per configured certificate, the signature
 * algorithm classes we register try every configured key of the right type (so certificate
 * rollover costs one verification, not one per certificate). Only strong algorithms are
 * registered, so xml-crypto cannot fall back to SHA-1 even if a check above were wrong.
 */
function verifySignature(xml: string, signature: XmlElement, keys: KeyObject[], signedBy: Set<KeyObject>, what: string): string {
  const sx = new SignedXml({ publicCert: keys[0] });
  sx.SignatureAlgorithms = signatureAlgorithmsFor(keys, signedBy);
  sx.HashAlgorithms = HASH_ALGORITHMS;
  let valid: boolean;
  try {
    // xml-crypto bundles @xmldom/xmldom 0.8; our 0.9 element is duck-type compatible, and
    // xml-crypto finds the same signature in its own parse of `xml` by its SignatureValue.
    sx.loadSignature(signature as unknown as Node);
    valid = sx.checkSignature(xml);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    reject(
      'signature_invalid',
      detail.includes('signature value')
        ? `${what} does not verify with any configured IdP certificate`
        : `${what} is invalid: ${detail.slice(0, 200)}`,
    );
  }
  // checkSignature returns false (rather than throwing) when a digest does not match.
  if (!valid) reject('signature_invalid', `${what}: the signed content was modified (digest mismatch)`);
  const signed = sx.getSignedReferences();
  if (signed.length !== 1) reject('signature_invalid', `${what} must cover exactly one reference`);
  return signed[0]!;
}

/** xml-crypto signature algorithm classes that accept a signature by any of `keys` (of the right key type), adding the one that verified to `signedBy`. */
function signatureAlgorithmsFor(keys: KeyObject[], signedBy: Set<KeyObject>): Record<string, new () => SignatureAlgorithm> {
  const algorithms: Record<string, new () => SignatureAlgorithm> = {};
  for (const [uri, { hash, keyType }] of Object.entries(SIGNATURE_METHODS)) {
    const candidates = keys.filter((k) => k.asymmetricKeyType === keyType);
    class Verifier {
      getAlgorithmName() {
        return uri;
      }
      getSignature(): string {
        throw new Error('saml-checks only verifies signatures');
      }
      verifySignature(material: string, _key: unknown, signatureValue: string): boolean {
        const data = Buffer.from(material, 'utf8');
        const signatureBytes = Buffer.from(signatureValue, 'base64');
        const verified = candidates.find((key) =>
          cryptoVerify(
            hash,
            data,
            // XML-DSig ECDSA signature values are r || s (RFC 4050 / RFC 6931), not DER.
            keyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key,
            signatureBytes,
          ),
        );
        if (verified) signedBy.add(verified);
        return verified !== undefined;
      }
    }
    algorithms[uri] = Verifier as unknown as new () => SignatureAlgorithm;
  }
  return algorithms;
}

const HASH_ALGORITHMS: Record<string, new () => HashAlgorithm> = Object.fromEntries(
  Object.entries(DIGEST_METHODS).map(([uri, hash]) => [
    uri,
    class {
      getAlgorithmName() {
        return uri;
      }
      getHash(xml: string) {
        return createHash(hash).update(xml, 'utf8').digest('base64');
      }
    },
  ]),
);

/** The assertion inside the canonical XML of a verified Response signature. */
function assertionFromSignedResponse(signedXml: string, responseId: string, assertionId: string): XmlElement {
  const signedDoc = parseStrict(signedXml, 'the signed response');
  const root = signedDoc.documentElement!;
  if (!isElement(root, NS.samlp, 'Response') || attr(root, 'ID') !== responseId) {
    reject('signature_invalid', 'the Response signature does not cover the response');
  }
  const direct = children(root, NS.saml, 'Assertion');
  if (direct.length !== 1 || signedDoc.getElementsByTagNameNS(NS.saml, 'Assertion').length !== 1) {
    reject('multiple_assertions', 'the signed response does not hold exactly one assertion');
  }
  if (attr(direct[0]!, 'ID') !== assertionId) reject('signature_invalid', 'the signed response holds another assertion');
  return direct[0]!;
}

/** How many elements carry each value of an attribute named ID, Id or id (any namespace). */
function countIds(doc: XmlDocument): Map<string, number> {
  const counts = new Map<string, number>();
  for (const el of Array.from(doc.getElementsByTagName('*'))) {
    for (let i = 0; i < el.attributes.length; i++) {
      const a = el.attributes.item(i)!;
      const name = a.localName ?? a.name;
      if (name === 'ID' || name === 'Id' || name === 'id') counts.set(a.value, (counts.get(a.value) ?? 0) + 1);
    }
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Decoding, parsing, DOM helpers
// ---------------------------------------------------------------------------------------------

/** Base64 → UTF-8 text, with the size limit and the DOCTYPE/ENTITY refusal applied before any parsing. */
function decodeSamlResponse(samlResponseBase64: string): string {
  if (typeof samlResponseBase64 !== 'string') reject('malformed_response', 'SAMLResponse is not a string');
  const maxEncoded = Math.ceil(MAX_DECODED_BYTES / 3) * 4;
  // Cheap bound before touching the string, generous enough for line-wrapped base64.
  if (samlResponseBase64.length > 2 * maxEncoded) reject('response_too_large', 'SAMLResponse is larger than 512 KiB');
  const compact = samlResponseBase64.replace(/\s+/g, '');
  if (compact.length > maxEncoded) reject('response_too_large', 'SAMLResponse is larger than 512 KiB');
  // Buffer.from(…, 'base64') silently skips anything that is not base64; be strict instead.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    reject('malformed_response', 'SAMLResponse is not base64');
  }
  const bytes = Buffer.from(compact, 'base64');
  if (bytes.length > MAX_DECODED_BYTES) reject('response_too_large', 'SAMLResponse is larger than 512 KiB');
  if (bytes.length === 0) reject('malformed_response', 'SAMLResponse is empty');
  let xml: string;
  try {
    xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    reject('malformed_response', 'SAMLResponse is not UTF-8 text');
  }
  // Entity expansion, XXE and external DTD fetches all need one of these; nothing legitimate has them.
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) reject('doctype_forbidden', 'SAMLResponse contains a DOCTYPE or ENTITY declaration');
  return xml;
}

/** xmldom with every warning and error fatal, on text within the shape budget (./xml-shape.ts). */
function parseStrict(xml: string, what: string): XmlDocument {
  const shape = xmlShapeProblem(xml);
  if (shape) reject('response_too_large', `${what} has ${shape}`);
  let doc: XmlDocument;
  try {
    doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    reject('malformed_response', `${what} is not well-formed XML: ${detail.slice(0, 200)}`);
  }
  if (doc.doctype) reject('doctype_forbidden', `${what} contains a DOCTYPE`);
  if (!doc.documentElement) reject('malformed_response', `${what} has no document element`);
  const tree = domShapeProblem(doc.documentElement);
  if (tree) reject('response_too_large', `${what} has ${tree}`);
  return doc;
}

function responseRoot(doc: XmlDocument): XmlElement {
  const root = doc.documentElement!;
  const { nodeName, namespaceURI } = root;
  if (!isElement(root, NS.samlp, 'Response')) {
    reject('malformed_response', `the document element is <${nodeName}> (${namespaceURI ?? 'no namespace'}), not samlp:Response`);
  }
  if (attr(root, 'Version') !== '2.0') reject('malformed_response', 'the Response is not SAML 2.0');
  return root;
}

/** The element's ID attribute; it must be a plausible xs:ID (it ends up in a Reference URI and an XPath). */
function requireId(el: XmlElement, what: string): string {
  const id = attr(el, 'ID');
  if (!id || !/^[^\s'"<>&#:]+$/.test(id)) reject('malformed_response', `the ${what} has no valid ID`);
  return id;
}

function isElement(node: XmlNode | null | undefined, ns: string, localName: string): node is XmlElement {
  if (!node || node.nodeType !== 1) return false;
  const el = node as XmlElement;
  return el.namespaceURI === ns && el.localName === localName;
}

/** Direct element children with the given namespace and local name. */
function children(parent: XmlElement, ns: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (isElement(n, ns, localName)) out.push(n);
  return out;
}

/** The child if there is exactly one, null if none; more than one is malformed. */
function optionalOnlyChild(parent: XmlElement, ns: string, localName: string, parentName: string): XmlElement | null {
  const found = children(parent, ns, localName);
  if (found.length > 1) reject('malformed_response', `the ${parentName} has ${found.length} ${localName} elements`);
  return found[0] ?? null;
}

/** An attribute's value, or null when absent (never ''-for-absent). */
function attr(el: XmlElement, name: string): string | null {
  return el.hasAttribute(name) ? el.getAttribute(name) : null;
}

function textOf(el: XmlElement): string {
  return el.textContent ?? '';
}

/** A comment (8) or processing instruction (7) anywhere below `el`. */
function containsCommentOrInstruction(el: XmlElement): boolean {
  for (let n = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 8 || n.nodeType === 7) return true;
    if (n.nodeType === 1 && containsCommentOrInstruction(n as XmlElement)) return true;
  }
  return false;
}

/**
 * xs:dateTime → epoch ms. SAML times are UTC; a value without a zone is read as UTC (never as
 * local time), fractions beyond milliseconds are truncated, anything else is malformed.
 */
function parseInstant(value: string, what: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/.exec(value.trim());
  const ms = m ? Date.parse(`${m[1]}${m[2] ? m[2].slice(0, 4).padEnd(4, '0') : ''}${m[3] ?? 'Z'}`) : NaN;
  if (Number.isNaN(ms)) reject('malformed_response', `${what} ${quote(value)} is not an xs:dateTime`);
  return ms;
}

function quote(value: string | null): string {
  if (value === null) return '(absent)';
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}

function reject(reason: SamlFailureReason, message: string): never {
  throw new SamlRejection(reason, message);
}

/** Anything unexpected (a library throwing on input we did not foresee) is a rejection, never a pass. */
function failClosed<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SamlRejection) throw err;
    throw new SamlRejection(
      'malformed_response',
      `unexpected error while checking the SAML response: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Expectations
// ---------------------------------------------------------------------------------------------

/** Validates the configuration; a bad one is a programming/configuration error, not a rejection. */
function prepareExpectations(exp: SamlExpectations): Context {
  for (const key of ['spEntityId', 'acsUrl', 'idpEntityId'] as const) {
    if (typeof exp[key] !== 'string' || exp[key].trim() === '') throw new Error(`saml-checks: ${key} is required`);
  }
  if (exp.expectedInResponseTo !== null && typeof exp.expectedInResponseTo !== 'string') {
    throw new Error('saml-checks: expectedInResponseTo must be a string or null');
  }
  if (!Array.isArray(exp.certificates) || exp.certificates.length === 0) {
    throw new Error('saml-checks: at least one IdP certificate is required');
  }
  const keys = exp.certificates.map((cert, i) => {
    try {
      return certificateKey(cert);
    } catch (err) {
      throw new Error(`saml-checks: certificate #${i + 1} is not an X.509 certificate`, { cause: err });
    }
  });
  const now = exp.now ?? new Date();
  if (Number.isNaN(now.getTime())) throw new Error('saml-checks: now is not a valid date');
  const skew = exp.clockSkewSeconds ?? DEFAULT_SKEW_SECONDS;
  if (!Number.isFinite(skew) || skew < 0) throw new Error('saml-checks: clockSkewSeconds must be a non-negative number');
  return {
    spEntityId: exp.spEntityId,
    acsUrl: exp.acsUrl,
    idpEntityId: exp.idpEntityId,
    keys,
    signedBy: new Set(),
    expectedInResponseTo: exp.expectedInResponseTo,
    nowMs: now.getTime(),
    skewMs: skew * 1000,
    alwaysXmlCrypto: exp.alwaysXmlCrypto === true,
    decryptionKeys: (exp.decryptionKeys ?? []).map((k) => (typeof k === 'string' ? createPrivateKey(k) : k)),
    requireEncryption: exp.requireEncryption === true,
  };
}

/**
 * Parsed configured certificates. Parsing costs about as much as an RSA verification, and the
 * same few certificates come back on every sign-in; bounded, and cleared rather than evicted.
 */
const certificateKeyCache = new Map<string, KeyObject>();
const CERTIFICATE_CACHE_LIMIT = 256;

/** A certificate as PEM (first certificate of the text) or bare base64 DER → its public key. */
function certificateKey(cert: string): KeyObject {
  const cached = certificateKeyCache.get(cert);
  if (cached) return cached;
  const key = parseCertificateKey(cert);
  if (certificateKeyCache.size >= CERTIFICATE_CACHE_LIMIT) certificateKeyCache.clear();
  certificateKeyCache.set(cert, key);
  return key;
}

function parseCertificateKey(cert: string): KeyObject {
  if (typeof cert !== 'string') throw new Error('not a string');
  const text = cert.trim();
  if (text.includes('-----BEGIN')) {
    // Metadata copied into a form is often indented; PEM lines must not be.
    return new X509Certificate(text.replace(/^[ \t]+/gm, '')).publicKey;
  }
  const der = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(der)) throw new Error('not base64');
  return new X509Certificate(Buffer.from(der, 'base64')).publicKey;
}
