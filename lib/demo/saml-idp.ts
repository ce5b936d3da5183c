/**
 * A small SAML 2.0 Identity Provider for tests and demo mode.
 *
 * It is deliberately independent of the SSO library the portal uses (@boxyhq/saml-jackson and
 * @boxyhq/saml20 are never imported here), so that a bug in that library cannot be mirrored by the
 * IdP that tests it. Responses are written as XML text, signed with xml-crypto, and manipulated
 * (for the attack corpus in e2e/idp/attacks.ts) with @xmldom/xmldom.
 *
 * This module must stay free of test-framework imports: Playwright specs, vitest tests and the
 * app's demo-mode page all import it.
 *
 * Shapes follow the SAML 2.0 core schema (saml-schema-assertion-2.0.xsd /
 * saml-schema-protocol-2.0.xsd) and the Web Browser SSO profile (saml-profiles-2.0-os §4.1):
 * - Response: Issuer, Signature?, Extensions?, Status, Assertion*
 * - Assertion: Issuer, Signature?, Subject, Conditions, Advice?, statements
 * so an enveloped signature goes right after the Issuer of the element it signs.
 */
import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes, sign as cryptoSign, X509Certificate } from 'node:crypto';
import http from 'node:http';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { DOMParser, type Document as XmlDocument, type Element as XmlElement } from '@xmldom/xmldom';
import forge from 'node-forge';
import { SignedXml } from 'xml-crypto';

// ---------------------------------------------------------------------------------------------
// Namespaces and algorithm identifiers
// ---------------------------------------------------------------------------------------------

export const NS = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  md: 'urn:oasis:names:tc:SAML:2.0:metadata',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const NAMEID_FORMAT_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
export const ATTRNAME_FORMAT_BASIC = 'urn:oasis:names:tc:SAML:2.0:attrname-format:basic';
export const AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT =
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport';
export const BINDING_HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
export const BINDING_HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const STATUS_PREFIX = 'urn:oasis:names:tc:SAML:2.0:status:';

const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export type HashName = 'sha1' | 'sha256';

export const SIGNATURE_ALGORITHMS: Record<HashName, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
};

export const DIGEST_ALGORITHMS: Record<HashName, string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
};

// ---------------------------------------------------------------------------------------------
// Keys and certificates
// ---------------------------------------------------------------------------------------------

export interface IdpKeyPair {
  /** PKCS#8 PEM ("BEGIN PRIVATE KEY"). */
  privateKeyPem: string;
  /** X.509 certificate, PEM. */
  certPem: string;
  /** The certificate's DER as one line of base64: the content of a ds:X509Certificate element. */
  certBase64: string;
}

export interface CreateIdpKeyPairOptions {
  commonName: string;
  /** Validity period in days, counted from `notBefore`. Default 365. May be fractional. */
  validDays?: number;
  /** Start of validity. Default: five minutes ago (tolerates small clock differences). */
  notBefore?: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Creates an RSA-2048 key and a self-signed SHA-256 certificate for it.
 *
 * An already-expired certificate: `createIdpKeyPair({ commonName, notBefore: daysAgo(30), validDays: 1 })`.
 *
 * The key itself is generated with node:crypto (native and fast in every runtime, including a
 * bundled Next.js server where node-forge's own native detection may not apply); node-forge builds
 * and signs the certificate.
 */
export function createIdpKeyPair(options: CreateIdpKeyPairOptions): IdpKeyPair {
  const { commonName, validDays = 365, notBefore = new Date(Date.now() - 5 * 60 * 1000) } = options;
  if (!(validDays > 0)) throw new Error('createIdpKeyPair: validDays must be positive');

  const { privateKey: privateKeyPem, publicKey: publicKeyPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  // A positive serial number: DER INTEGERs are signed, so keep the top bit of the first byte clear.
  cert.serialNumber = '01' + randomBytes(15).toString('hex');
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = new Date(notBefore.getTime() + validDays * DAY_MS);
  const name = [{ name: 'commonName', value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKeyPem), forge.md.sha256.create());

  const certPem = forge.pki.certificateToPem(cert);
  const certDer = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  return { privateKeyPem, certPem, certBase64: forge.util.encode64(certDer) };
}

// ---------------------------------------------------------------------------------------------
// XML helpers
// ---------------------------------------------------------------------------------------------

/** Escapes character data. `>` is escaped too so that `]]>` can never appear. */
export function escapeXmlText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes an attribute value for a double-quoted attribute (whitespace kept through char refs). */
export function escapeXmlAttr(value: string): string {
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/** SAML IDs are xs:ID (an NCName), so they must not start with a digit. */
export function newSamlId(): string {
  return '_' + randomBytes(20).toString('hex');
}

/** xs:dateTime in UTC without milliseconds, the form IdPs conventionally emit. */
export function samlInstant(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Parses XML with xmldom, treating errors (not only fatal ones) as failures and refusing any
 * DOCTYPE: nothing this IdP reads or builds legitimately has one.
 */
export function parseXml(xml: string, { allowDoctype = false } = {}): XmlDocument {
  if (!allowDoctype && /<!DOCTYPE/i.test(xml)) throw new Error('XML with a DOCTYPE is not accepted');
  const doc = new DOMParser({
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`XML parse ${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
  if (!doc.documentElement) throw new Error('XML has no document element');
  return doc;
}

/** Direct element children of `parent` with the given namespace and local name. */
export function childElements(parent: XmlElement | XmlDocument, ns: string, localName: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1) {
      const el = n as XmlElement;
      if (el.namespaceURI === ns && el.localName === localName) out.push(el);
    }
  }
  return out;
}

function toBase64(xml: string): string {
  return Buffer.from(xml, 'utf8').toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

export interface SignOptions {
  keyPair: IdpKeyPair;
  signatureAlgorithm?: HashName;
  digestAlgorithm?: HashName;
}

/**
 * Adds an enveloped XML signature over the document element of `xml` (which must carry an `ID`
 * attribute), placed right after that element's own saml:Issuer child. Exclusive C14N is used
 * both for SignedInfo and as the reference transform; KeyInfo carries the X.509 certificate.
 */
export function signDocumentElement(
  xml: string,
  { keyPair, signatureAlgorithm = 'sha256', digestAlgorithm }: SignOptions,
): string {
  const sig = new SignedXml({
    privateKey: keyPair.privateKeyPem,
    // Only used for KeyInfo: xml-crypto's default getKeyInfoContent() publishes it as X509Data.
    publicCert: keyPair.certPem,
    signatureAlgorithm: SIGNATURE_ALGORITHMS[signatureAlgorithm],
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    // The document element; xml-crypto finds its existing `ID` attribute (it looks for Id, ID, id)
    // and uses it as the Reference URI instead of adding an attribute of its own.
    xpath: '/*',
    transforms: [ENVELOPED_SIGNATURE, EXC_C14N],
    digestAlgorithm: DIGEST_ALGORITHMS[digestAlgorithm ?? signatureAlgorithm],
  });
  sig.computeSignature(xml, {
    prefix: 'ds',
    location: {
      reference: `/*/*[local-name(.)='Issuer' and namespace-uri(.)='${NS.saml}']`,
      action: 'after',
    },
  });
  return sig.getSignedXml();
}

// ---------------------------------------------------------------------------------------------
// The IdP
// ---------------------------------------------------------------------------------------------

/** An attribute value list, optionally with a FriendlyName / NameFormat. */
export interface AttributeSpec {
  values: string | string[];
  friendlyName?: string;
  /** Default: urn:oasis:names:tc:SAML:2.0:attrname-format:basic. */
  nameFormat?: string;
}

export type AttributeInput = string | string[] | AttributeSpec;

export interface BuildResponseOptions {
  /** Where the response is delivered; default for Destination and Recipient. */
  acsUrl: string;
  /** The SP entity ID, written to Conditions/AudienceRestriction/Audience. */
  audience: string;
  /** More Audience elements in the same AudienceRestriction, after it (any one naming the SP satisfies it). */
  otherAudiences?: string[];
  /** The AuthnRequest ID; omitted for IdP-initiated (unsolicited) responses. */
  inResponseTo?: string;
  nameId: string;
  /** Default: emailAddress. */
  nameIdFormat?: string;
  attributes?: Record<string, AttributeInput>;
  sessionIndex?: string;
  /** Default: now. Also used as AuthnInstant unless `authnInstant` is given. */
  issueInstant?: Date;
  authnInstant?: Date;
  /** Conditions/@NotBefore. Default: issueInstant. */
  notBefore?: Date;
  /** Conditions/@NotOnOrAfter. Default: issueInstant + 5 minutes. */
  notOnOrAfter?: Date;
  /** SubjectConfirmationData/@NotOnOrAfter. Default: `notOnOrAfter`. */
  subjectConfirmationNotOnOrAfter?: Date;
  /** Default false. When both are signed, the assertion is signed first, then the response. */
  signResponse?: boolean;
  /** Default true. */
  signAssertion?: boolean;
  /** RSA signature hash. Default sha256. */
  signatureAlgorithm?: HashName;
  /** Reference digest. Default: same as `signatureAlgorithm`. */
  digestAlgorithm?: HashName;
  /** Full URN or a short top-level code ('Success', 'Requester', 'Responder', 'VersionMismatch'). Default Success. */
  statusCode?: string;
  /** A second-level status code, e.g. 'NoAuthnContext' (full URN or short code). Default: none. */
  subStatusCode?: string;
  statusMessage?: string;
  /** Include an assertion at all. Default true (even with a non-success status). */
  includeAssertion?: boolean;
  /** Response/@Destination. Default acsUrl; `null` omits the attribute. */
  destination?: string | null;
  /** SubjectConfirmationData/@Recipient. Default acsUrl. */
  recipient?: string;
  /** Default: PasswordProtectedTransport. */
  authnContextClassRef?: string;
  /** Override the Issuer of response and assertion (default: the IdP's entity ID). */
  issuer?: string;
  responseId?: string;
  assertionId?: string;
  /** Encrypt the (signed) assertion to an SP's encryption certificate: an EncryptedAssertion. */
  encryptTo?: EncryptionOptions;
}

export interface EncryptionOptions {
  /** The SP's encryption certificate (PEM). */
  certPem: string;
  /** Content encryption. Default aes256-gcm. */
  content?: 'aes128-gcm' | 'aes256-gcm' | 'aes128-cbc' | 'aes256-cbc' | 'tripledes-cbc';
  /** Key transport. Default rsa-oaep-mgf1p (SHA-1 digest, as IdPs send it). */
  keyTransport?: 'rsa-oaep-mgf1p' | 'rsa-oaep-sha256' | 'rsa-1_5';
  /** Where the EncryptedKey goes: in the EncryptedData's KeyInfo (default) or beside it. */
  keyPlacement?: 'keyinfo' | 'sibling';
}

export interface ParsedAuthnRequest {
  id: string;
  /** AssertionConsumerServiceURL; absent when the SP relies on the ACS in its metadata. */
  acsUrl?: string;
  /** The SP entity ID. */
  issuer?: string;
  destination?: string;
  protocolBinding?: string;
  issueInstant?: string;
  forceAuthn: boolean;
  /** samlp:RequestedAuthnContext, when the SP asked for a particular authentication context. */
  requestedAuthnContext?: { comparison: string; classRefs: string[] };
  /** The decoded request XML. */
  xml: string;
}

export interface TestSamlIdpOptions {
  entityId: string;
  /** The IdP's SSO endpoint (both bindings), e.g. http://localhost:7001/sso. */
  ssoUrl: string;
  /** Default: a fresh key pair (CN derived from the entity ID). */
  keyPair?: IdpKeyPair;
  /** The IdP's single logout endpoint (both bindings); none by default. */
  sloUrl?: string;
}

const DEFAULT_VALIDITY_MS = 5 * 60 * 1000;

export class TestSamlIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly keyPair: IdpKeyPair;

  /** Single logout service (both bindings), published in the metadata when set. */
  readonly sloUrl: string | null;

  constructor({ entityId, ssoUrl, keyPair, sloUrl }: TestSamlIdpOptions) {
    this.entityId = entityId;
    this.ssoUrl = ssoUrl;
    this.sloUrl = sloUrl ?? null;
    this.keyPair = keyPair ?? createIdpKeyPair({ commonName: commonNameFor(entityId) });
  }

  get certPem(): string {
    return this.keyPair.certPem;
  }

  get certBase64(): string {
    return this.keyPair.certBase64;
  }

  /** A LogoutRequest from this IdP (IdP-initiated single logout), unsigned: sign it for its binding. */
  buildLogoutRequestXml(o: { destination: string; nameId: string; nameIdFormat?: string; sessionIndex?: string; id?: string; issueInstant?: Date; issuer?: string }): string {
    return (
      `<samlp:LogoutRequest xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${escapeXmlAttr(o.id ?? newSamlId())}" Version="2.0" ` +
      `IssueInstant="${samlInstant(o.issueInstant ?? new Date())}" Destination="${escapeXmlAttr(o.destination)}">` +
      `<saml:Issuer>${escapeXmlText(o.issuer ?? this.entityId)}</saml:Issuer>` +
      `<saml:NameID Format="${escapeXmlAttr(o.nameIdFormat ?? NAMEID_FORMAT_EMAIL)}">${escapeXmlText(o.nameId)}</saml:NameID>` +
      (o.sessionIndex ? `<samlp:SessionIndex>${escapeXmlText(o.sessionIndex)}</samlp:SessionIndex>` : '') +
      `</samlp:LogoutRequest>`
    );
  }

  /** A LogoutResponse from this IdP to an SP's LogoutRequest, unsigned. */
  buildLogoutResponseXml(o: { destination: string; inResponseTo: string; statusCode?: string }): string {
    const status = o.statusCode ?? 'Success';
    return (
      `<samlp:LogoutResponse xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="${newSamlId()}" Version="2.0" ` +
      `IssueInstant="${samlInstant(new Date())}" Destination="${escapeXmlAttr(o.destination)}" InResponseTo="${escapeXmlAttr(o.inResponseTo)}">` +
      `<saml:Issuer>${escapeXmlText(this.entityId)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${escapeXmlAttr(status.includes(':') ? status : STATUS_PREFIX + status)}"/></samlp:Status>` +
      `</samlp:LogoutResponse>`
    );
  }

  /**
   * The query of an HTTP-Redirect binding message signed by this IdP: deflated, then signed over
   * `SAMLRequest|SAMLResponse`, `RelayState`, `SigAlg` as sent.
   */
  redirectQuery(param: 'SAMLRequest' | 'SAMLResponse', xml: string, o: { relayState?: string; signatureAlgorithm?: HashName; unsigned?: boolean } = {}): string {
    const message = deflateRawSync(Buffer.from(xml)).toString('base64');
    const hash = o.signatureAlgorithm ?? 'sha256';
    const signed =
      `${param}=${encodeURIComponent(message)}` + (o.relayState ? `&RelayState=${encodeURIComponent(o.relayState)}` : '') + `&SigAlg=${encodeURIComponent(SIGNATURE_ALGORITHMS[hash])}`;
    if (o.unsigned) return signed.replace(/&SigAlg=[^&]*$/, '');
    const signature = cryptoSign(hash, Buffer.from(signed), this.keyPair.privateKeyPem).toString('base64');
    return `${signed}&Signature=${encodeURIComponent(signature)}`;
  }

  /** A message signed for the HTTP-POST binding (an enveloped signature after its Issuer). */
  signMessage(xml: string, signatureAlgorithm: HashName = 'sha256'): string {
    return signDocumentElement(xml, { keyPair: this.keyPair, signatureAlgorithm });
  }

  /** IdP metadata (unsigned): one signing key, both SSO bindings, emailAddress NameID format. */
  metadataXml(): string {
    return (
      `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}" entityID="${escapeXmlAttr(this.entityId)}">` +
      `<md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.samlp}">` +
      `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>` +
      `<ds:X509Certificate>${this.keyPair.certBase64}</ds:X509Certificate>` +
      `</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      (this.sloUrl
        ? `<md:SingleLogoutService Binding="${BINDING_HTTP_REDIRECT}" Location="${escapeXmlAttr(this.sloUrl)}"/>` +
          `<md:SingleLogoutService Binding="${BINDING_HTTP_POST}" Location="${escapeXmlAttr(this.sloUrl)}"/>`
        : '') +
      `<md:NameIDFormat>${NAMEID_FORMAT_EMAIL}</md:NameIDFormat>` +
      `<md:SingleSignOnService Binding="${BINDING_HTTP_REDIRECT}" Location="${escapeXmlAttr(this.ssoUrl)}"/>` +
      `<md:SingleSignOnService Binding="${BINDING_HTTP_POST}" Location="${escapeXmlAttr(this.ssoUrl)}"/>` +
      `</md:IDPSSODescriptor>` +
      `</md:EntityDescriptor>`
    );
  }

  /**
   * Decodes a SAMLRequest parameter. HTTP-Redirect binding: base64 of raw DEFLATE (RFC 1951, no
   * zlib header). A value that does not inflate but decodes straight to XML (HTTP-POST binding) is
   * accepted too. The value is expected URL-decoded, but a still percent-encoded value, or one whose
   * `+` became a space through form decoding, is repaired first.
   */
  parseAuthnRequest(samlRequestParam: string): ParsedAuthnRequest {
    let param = samlRequestParam.trim();
    if (param.includes('%')) param = decodeURIComponent(param); // base64 never contains '%'
    param = param.replace(/ /g, '+');
    const bytes = Buffer.from(param, 'base64');

    let xml: string;
    try {
      xml = inflateRawSync(bytes).toString('utf8');
    } catch {
      xml = bytes.toString('utf8');
      if (!xml.trimStart().startsWith('<')) throw new Error('SAMLRequest is neither deflated nor plain XML');
    }

    const root = parseXml(xml).documentElement!;
    if (root.namespaceURI !== NS.samlp || root.localName !== 'AuthnRequest') {
      throw new Error(`Expected samlp:AuthnRequest, got ${root.nodeName}`);
    }
    const id = root.getAttribute('ID');
    if (!id) throw new Error('AuthnRequest has no ID');
    const issuer = childElements(root, NS.saml, 'Issuer')[0]?.textContent?.trim() || undefined;
    const rac = childElements(root, NS.samlp, 'RequestedAuthnContext')[0];
    const requestedAuthnContext = rac
      ? {
          comparison: rac.getAttribute('Comparison') || 'exact',
          classRefs: childElements(rac, NS.saml, 'AuthnContextClassRef').map((e) => e.textContent?.trim() ?? ''),
        }
      : undefined;
    return {
      id,
      acsUrl: root.getAttribute('AssertionConsumerServiceURL') || undefined,
      issuer,
      destination: root.getAttribute('Destination') || undefined,
      protocolBinding: root.getAttribute('ProtocolBinding') || undefined,
      issueInstant: root.getAttribute('IssueInstant') || undefined,
      forceAuthn: root.getAttribute('ForceAuthn') === 'true',
      ...(requestedAuthnContext ? { requestedAuthnContext } : {}),
      xml,
    };
  }

  /** The signed assertion as XML text (no XML declaration), signed unless `signAssertion: false`. */
  buildAssertionXml(opts: BuildResponseOptions): string {
    const issueInstant = opts.issueInstant ?? new Date();
    const notBefore = opts.notBefore ?? issueInstant;
    const notOnOrAfter = opts.notOnOrAfter ?? new Date(issueInstant.getTime() + DEFAULT_VALIDITY_MS);
    const scNotOnOrAfter = opts.subjectConfirmationNotOnOrAfter ?? notOnOrAfter;
    const issuer = opts.issuer ?? this.entityId;
    const inResponseTo = opts.inResponseTo ? ` InResponseTo="${escapeXmlAttr(opts.inResponseTo)}"` : '';

    const xml =
      `<saml:Assertion xmlns:saml="${NS.saml}" ID="${escapeXmlAttr(opts.assertionId ?? newSamlId())}" Version="2.0" ` +
      `IssueInstant="${samlInstant(issueInstant)}">` +
      `<saml:Issuer>${escapeXmlText(issuer)}</saml:Issuer>` +
      `<saml:Subject>` +
      `<saml:NameID Format="${escapeXmlAttr(opts.nameIdFormat ?? NAMEID_FORMAT_EMAIL)}">${escapeXmlText(opts.nameId)}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="${CM_BEARER}">` +
      `<saml:SubjectConfirmationData NotOnOrAfter="${samlInstant(scNotOnOrAfter)}" ` +
      `Recipient="${escapeXmlAttr(opts.recipient ?? opts.acsUrl)}"${inResponseTo}/>` +
      `</saml:SubjectConfirmation>` +
      `</saml:Subject>` +
      `<saml:Conditions NotBefore="${samlInstant(notBefore)}" NotOnOrAfter="${samlInstant(notOnOrAfter)}">` +
      `<saml:AudienceRestriction>` +
      [opts.audience, ...(opts.otherAudiences ?? [])].map((a) => `<saml:Audience>${escapeXmlText(a)}</saml:Audience>`).join('') +
      `</saml:AudienceRestriction>` +
      `</saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${samlInstant(opts.authnInstant ?? issueInstant)}" ` +
      `SessionIndex="${escapeXmlAttr(opts.sessionIndex ?? newSamlId())}">` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>` +
      escapeXmlText(opts.authnContextClassRef ?? AUTHN_CONTEXT_PASSWORD_PROTECTED_TRANSPORT) +
      `</saml:AuthnContextClassRef></saml:AuthnContext>` +
      `</saml:AuthnStatement>` +
      attributeStatementXml(opts.attributes) +
      `</saml:Assertion>`;

    if (opts.signAssertion === false) return xml;
    return signDocumentElement(xml, {
      keyPair: this.keyPair,
      signatureAlgorithm: opts.signatureAlgorithm,
      digestAlgorithm: opts.digestAlgorithm,
    });
  }

  /** The complete samlp:Response as XML text. */
  buildResponseXml(opts: BuildResponseOptions): string {
    const issueInstant = opts.issueInstant ?? new Date();
    const withInstant = { ...opts, issueInstant };
    const destination = opts.destination === undefined ? opts.acsUrl : opts.destination;
    const statusCode = opts.statusCode ?? 'Success';
    const statusUrn = statusCode.includes(':') ? statusCode : STATUS_PREFIX + statusCode;

    const xml =
      `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ` +
      `ID="${escapeXmlAttr(opts.responseId ?? newSamlId())}" Version="2.0" IssueInstant="${samlInstant(issueInstant)}"` +
      (destination !== null ? ` Destination="${escapeXmlAttr(destination)}"` : '') +
      (opts.inResponseTo ? ` InResponseTo="${escapeXmlAttr(opts.inResponseTo)}"` : '') +
      `>` +
      `<saml:Issuer>${escapeXmlText(opts.issuer ?? this.entityId)}</saml:Issuer>` +
      `<samlp:Status><samlp:StatusCode Value="${escapeXmlAttr(statusUrn)}"` +
      (opts.subStatusCode
        ? `><samlp:StatusCode Value="${escapeXmlAttr(opts.subStatusCode.includes(':') ? opts.subStatusCode : STATUS_PREFIX + opts.subStatusCode)}"/></samlp:StatusCode>`
        : '/>') +
      (opts.statusMessage ? `<samlp:StatusMessage>${escapeXmlText(opts.statusMessage)}</samlp:StatusMessage>` : '') +
      `</samlp:Status>` +
      (opts.includeAssertion === false ? '' : opts.encryptTo ? encryptAssertion(this.buildAssertionXml(withInstant), opts.encryptTo) : this.buildAssertionXml(withInstant)) +
      `</samlp:Response>`;

    if (!opts.signResponse) return xml;
    return signDocumentElement(xml, {
      keyPair: this.keyPair,
      signatureAlgorithm: opts.signatureAlgorithm,
      digestAlgorithm: opts.digestAlgorithm,
    });
  }

  /** The SAMLResponse form value: base64 of the response XML (the HTTP-POST binding does not deflate). */
  buildResponse(opts: BuildResponseOptions): string {
    return toBase64(this.buildResponseXml(opts));
  }
}

function commonNameFor(entityId: string): string {
  try {
    return new URL(entityId).hostname || entityId.slice(0, 64);
  } catch {
    return entityId.slice(0, 64);
  }
}

function attributeStatementXml(attributes: Record<string, AttributeInput> | undefined): string {
  const entries = Object.entries(attributes ?? {});
  if (entries.length === 0) return '';
  const body = entries
    .map(([name, input]) => {
      const spec: AttributeSpec = typeof input === 'string' || Array.isArray(input) ? { values: input } : input;
      const values = Array.isArray(spec.values) ? spec.values : [spec.values];
      const friendly = spec.friendlyName ? ` FriendlyName="${escapeXmlAttr(spec.friendlyName)}"` : '';
      // No xsi:type on AttributeValue: with exclusive C14N the `xs` prefix inside an attribute
      // value is not "visibly utilized", so it would be signed unbound unless an InclusiveNamespaces
      // PrefixList were added. Untyped values are schema-valid and every SP reads them as strings.
      return (
        `<saml:Attribute Name="${escapeXmlAttr(name)}" NameFormat="${escapeXmlAttr(spec.nameFormat ?? ATTRNAME_FORMAT_BASIC)}"${friendly}>` +
        values.map((v) => `<saml:AttributeValue>${escapeXmlText(v)}</saml:AttributeValue>`).join('') +
        `</saml:Attribute>`
      );
    })
    .join('');
  return `<saml:AttributeStatement>${body}</saml:AttributeStatement>`;
}

// ---------------------------------------------------------------------------------------------
// HTTP server: a login page with one button per user, then an auto-posting form to the ACS
// ---------------------------------------------------------------------------------------------

export interface TestIdpUser {
  /** Used as the NameID (emailAddress format) and as the `email` attribute. */
  email: string;
  /** Extra attributes; merged over the default `{ email }`. */
  attributes?: Record<string, AttributeInput>;
  /** The AuthnContextClassRef this user's assertions carry. Default: PasswordProtectedTransport. */
  authnContextClassRef?: string;
}

export interface StartSamlIdpServerOptions {
  /** 0 picks a free port, but `idp.ssoUrl` must point at the real one for the metadata to be right. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  idp: TestSamlIdp;
  users: TestIdpUser[];
  /** For IdP-initiated sign-in (GET on the SSO path without SAMLRequest), and as the ACS fallback. */
  spAcsUrl?: string;
  /** For IdP-initiated sign-in, and as the audience fallback when a request has no Issuer. */
  spEntityId?: string;
  /** The SP's single logout service (HTTP-Redirect), for single logout when `idp.sloUrl` is set. */
  spSloUrl?: string;
  /**
   * Per-sign-in overrides of the response options, so a browser test can make the IdP misbehave
   * (expired, wrong audience, unsigned, …).
   */
  responseOptions?: (user: TestIdpUser, request: ParsedAuthnRequest | undefined) => Partial<BuildResponseOptions>;
}

export interface SamlIdpServer {
  /** e.g. http://127.0.0.1:7001 */
  origin: string;
  metadataUrl: string;
  ssoUrl: string;
  server: http.Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Serves, on the path of `idp.ssoUrl`:
 * - GET with SAMLRequest (+ RelayState): HTTP-Redirect binding; renders the user picker.
 * - POST with SAMLRequest (+ RelayState): HTTP-POST binding; renders the user picker.
 * - GET without SAMLRequest: IdP-initiated picker (needs spAcsUrl and spEntityId).
 * - POST with `user`: the picker's submission; answers with a page that auto-posts SAMLResponse
 *   and RelayState to the ACS URL.
 * and GET /metadata with the IdP metadata. When `idp.sloUrl` is set, on its path:
 * - GET with SAMLRequest (the SP's LogoutRequest): answers a signed LogoutResponse to `spSloUrl`;
 * - GET with `user`: IdP-initiated single logout of that user, a signed LogoutRequest to `spSloUrl`;
 * - GET with SAMLResponse (the SP's answer): a "Signed out" page.
 *
 * The picker carries the request context (ACS URL, audience, request ID, RelayState) in hidden
 * fields, which keeps the server stateless. That is fine for a test IdP and nothing more.
 */
export async function startSamlIdpServer(options: StartSamlIdpServerOptions): Promise<SamlIdpServer> {
  const { idp, users, host = '127.0.0.1' } = options;
  const ssoPath = new URL(idp.ssoUrl).pathname;
  const sloPath = idp.sloUrl ? new URL(idp.sloUrl).pathname : null;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendHtml(res, 400, page('Error', `<p role="alert">${escapeXmlText(String(err))}</p>`));
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://idp.invalid');
    if (req.method === 'GET' && url.pathname === '/metadata') {
      res.writeHead(200, { 'content-type': 'application/samlmetadata+xml; charset=utf-8', 'cache-control': 'no-store' });
      res.end(idp.metadataXml());
      return;
    }
    if (sloPath && url.pathname === sloPath && req.method === 'GET') {
      singleLogout(res, url);
      return;
    }
    if (url.pathname !== ssoPath) {
      sendHtml(res, 404, page('Not found', '<p>Not found</p>'));
      return;
    }

    if (req.method === 'GET') {
      const samlRequest = url.searchParams.get('SAMLRequest');
      renderPicker(res, samlRequest, url.searchParams.get('RelayState'));
      return;
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      if (form.has('user')) {
        signIn(res, form);
      } else {
        renderPicker(res, form.get('SAMLRequest'), form.get('RelayState'));
      }
      return;
    }
    res.writeHead(405, { allow: 'GET, POST' }).end();
  }

  function renderPicker(res: http.ServerResponse, samlRequest: string | null, relayState: string | null): void {
    const request = samlRequest ? idp.parseAuthnRequest(samlRequest) : undefined;
    const acsUrl = request?.acsUrl ?? options.spAcsUrl;
    const audience = request?.issuer ?? options.spEntityId;
    if (!acsUrl || !audience) {
      throw new Error('No ACS URL / SP entity ID: send a SAMLRequest or configure spAcsUrl and spEntityId');
    }
    const hidden: Record<string, string | undefined> = {
      acsUrl,
      audience,
      inResponseTo: request?.id,
      RelayState: relayState ?? undefined,
      SAMLRequest: samlRequest ?? undefined,
    };
    const buttons = users
      .map(
        (u) =>
          `<li><button type="submit" name="user" value="${escapeXmlAttr(u.email)}">Sign in as ${escapeXmlText(u.email)}</button></li>`,
      )
      .join('');
    sendHtml(
      res,
      200,
      page(
        'Test IdP sign-in',
        `<h1>Test IdP</h1><p>Signing in to <code>${escapeXmlText(audience)}</code></p>` +
          `<form method="post" action="${escapeXmlAttr(ssoPath)}">${hiddenInputs(hidden)}<ul>${buttons}</ul></form>`,
      ),
    );
  }

  function singleLogout(res: http.ServerResponse, url: URL): void {
    const spSlo = options.spSloUrl;
    if (!spSlo) throw new Error('No spSloUrl: single logout needs the SP\'s SLO location');
    const samlRequest = url.searchParams.get('SAMLRequest');
    if (samlRequest) {
      const xml = inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
      const id = /\sID="([^"]+)"/.exec(xml)?.[1];
      if (!id) throw new Error('LogoutRequest without an ID');
      const answer = idp.buildLogoutResponseXml({ destination: spSlo, inResponseTo: id });
      res.writeHead(302, { location: `${spSlo}?${idp.redirectQuery('SAMLResponse', answer, { relayState: url.searchParams.get('RelayState') ?? undefined })}` }).end();
      return;
    }
    const user = url.searchParams.get('user');
    if (user) {
      const request = idp.buildLogoutRequestXml({ destination: spSlo, nameId: user });
      res.writeHead(302, { location: `${spSlo}?${idp.redirectQuery('SAMLRequest', request)}` }).end();
      return;
    }
    sendHtml(res, 200, page('Signed out', '<h1>Test IdP</h1><p role="status">You are signed out.</p>'));
  }

  function signIn(res: http.ServerResponse, form: URLSearchParams): void {
    const user = users.find((u) => u.email === form.get('user'));
    const acsUrl = form.get('acsUrl');
    const audience = form.get('audience');
    if (!user || !acsUrl || !audience) throw new Error('Unknown user or missing request context');
    const samlRequest = form.get('SAMLRequest');
    const request = samlRequest ? idp.parseAuthnRequest(samlRequest) : undefined;
    const samlResponse = idp.buildResponse({
      acsUrl,
      audience,
      inResponseTo: form.get('inResponseTo') || undefined,
      nameId: user.email,
      attributes: { email: user.email, ...user.attributes },
      ...(user.authnContextClassRef ? { authnContextClassRef: user.authnContextClassRef } : {}),
      ...options.responseOptions?.(user, request),
    });
    const relayState = form.get('RelayState');
    sendHtml(
      res,
      200,
      page(
        'Signing in…',
        `<form method="post" action="${escapeXmlAttr(acsUrl)}">` +
          hiddenInputs({ SAMLResponse: samlResponse, RelayState: relayState ?? undefined }) +
          `<noscript><button type="submit">Continue</button></noscript></form>` +
          `<script>document.forms[0].submit()</script>`,
      ),
    );
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    origin,
    metadataUrl: `${origin}/metadata`,
    ssoUrl: `${origin}${ssoPath}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function hiddenInputs(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeXmlAttr(name)}" value="${escapeXmlAttr(value)}">`)
    .join('');
}

function page(title: string, body: string): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeXmlText(title)}</title></head>` +
    `<body>${body}</body></html>`
  );
}

function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Assertion encryption (XML Encryption 1.1), as IdPs do it
// ---------------------------------------------------------------------------------------------

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';

/** A saml:EncryptedAssertion holding `assertionXml`, its content key wrapped to `to.certPem`. */
export function encryptAssertion(assertionXml: string, to: EncryptionOptions): string {
  const content = to.content ?? 'aes256-gcm';
  const transport = to.keyTransport ?? 'rsa-oaep-mgf1p';
  const plain = Buffer.from(assertionXml, 'utf8');
  let cipherValue: Buffer;
  let key: Buffer;
  if (content === 'tripledes-cbc') {
    key = randomBytes(24);
    const iv = randomBytes(8);
    const c = createCipheriv('des-ede3-cbc', key, iv);
    cipherValue = Buffer.concat([iv, c.update(plain), c.final()]);
  } else {
    const [, bits, mode] = /^aes(\d+)-(gcm|cbc)$/.exec(content)!;
    key = randomBytes(Number(bits) / 8);
    if (mode === 'gcm') {
      const iv = randomBytes(12);
      const c = createCipheriv(`aes-${bits}-gcm` as 'aes-256-gcm', key, iv);
      cipherValue = Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
    } else {
      // ISO 10126 padding: random bytes, the last one counting them.
      const padLength = 16 - (plain.length % 16);
      const padding = Buffer.concat([randomBytes(padLength - 1), Buffer.from([padLength])]);
      const iv = randomBytes(16);
      const c = createCipheriv(`aes-${bits}-cbc`, key, iv);
      c.setAutoPadding(false);
      cipherValue = Buffer.concat([iv, c.update(Buffer.concat([plain, padding])), c.final()]);
    }
  }
  const publicKey = new X509Certificate(to.certPem).publicKey;
  const wrapped =
    transport === 'rsa-1_5'
      ? publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, key)
      : publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: transport === 'rsa-oaep-sha256' ? 'sha256' : 'sha1' }, key);
  const transportMethod =
    transport === 'rsa-oaep-sha256'
      ? `<xenc:EncryptionMethod Algorithm="${XENC11}rsa-oaep"><ds:DigestMethod xmlns:ds="${NS.ds}" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/></xenc:EncryptionMethod>`
      : transport === 'rsa-1_5'
        ? `<xenc:EncryptionMethod Algorithm="${XENC}rsa-1_5"/>`
        : `<xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"><ds:DigestMethod xmlns:ds="${NS.ds}" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>`;
  const encryptedKey =
    `<xenc:EncryptedKey xmlns:xenc="${XENC}">${transportMethod}` +
    `<xenc:CipherData><xenc:CipherValue>${wrapped.toString('base64')}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>`;
  const contentUri = content.endsWith('gcm') ? `${XENC11}${content}` : `${XENC}${content}`;
  const sibling = to.keyPlacement === 'sibling';
  return (
    `<saml:EncryptedAssertion xmlns:saml="${NS.saml}">` +
    `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element">` +
    `<xenc:EncryptionMethod Algorithm="${contentUri}"/>` +
    (sibling ? '' : `<ds:KeyInfo xmlns:ds="${NS.ds}">${encryptedKey}</ds:KeyInfo>`) +
    `<xenc:CipherData><xenc:CipherValue>${cipherValue.toString('base64')}</xenc:CipherValue></xenc:CipherData>` +
    `</xenc:EncryptedData>` +
    (sibling ? encryptedKey : '') +
    `</saml:EncryptedAssertion>`
  );
}
