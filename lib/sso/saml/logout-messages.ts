/**
 * SAML single logout messages (SAML core 3.7, bindings 3.4 and 3.5): reading and verifying a
 * LogoutRequest or LogoutResponse from an IdP, and writing the portal's own. Pure: no I/O.
 *
 * The library's SAML engine has helpers for two of these, but its LogoutRequest always says NameID
 * format "unspecified" and carries no SessionIndex (IdPs such as AD FS match both), and its
 * LogoutResponse reader fails on an Issuer without a Format attribute (as AD FS sends it); so the
 * portal writes and reads these messages itself.
 *
 * Every message must be signed: HTTP-Redirect over the query string (SigAlg, Signature), HTTP-POST
 * with an enveloped signature over the message element; what is read comes from the signed content.
 */
import { randomBytes, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { esc } from './metadata';
import { domShapeProblem, xmlShapeProblem } from './xml-shape';

const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
export const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const MAX_ENCODED = 64 * 1024;
const MAX_XML = 256 * 1024;
/** A logout message older than this (or dated this far ahead, clock skew) is refused. */
const MAX_AGE_MS = 5 * 60 * 1000;
const SKEW_MS = 3 * 60 * 1000;

const SIG_ALGS: Record<string, string> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': 'sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': 'sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': 'sha512',
};
const WEAK = /(^|[#-])(sha1|md5)($|-)/i;

export type LogoutRefusalReason = 'logout_malformed' | 'logout_unsigned' | 'logout_signature_invalid' | 'weak_algorithm' | 'logout_expired' | 'logout_destination_mismatch';

export class LogoutRefused extends Error {
  constructor(
    readonly reason: LogoutRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'LogoutRefused';
  }
}
const refuse = (reason: LogoutRefusalReason, message: string): never => {
  throw new LogoutRefused(reason, message);
};

/** A logout message as it arrived, not yet verified. */
export type ReceivedMessage = {
  kind: 'LogoutRequest' | 'LogoutResponse';
  binding: 'redirect' | 'post';
  xml: string;
  relayState: string | null;
  /** Unauthenticated: picks the connection whose certificates must verify the signature. */
  issuer: string;
  /** Unauthenticated: LogoutResponse/@InResponseTo. */
  inResponseTo: string | null;
  /** HTTP-Redirect: the signed query string, the algorithm and the signature. */
  redirectSignature: { signed: string; sigAlg: string; signature: Buffer } | null;
};

/** The raw (still URL-encoded) query parameters, in order: the Redirect signature covers them as sent. */
function rawParams(search: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of search.replace(/^\?/, '').split('&')) {
    const i = part.indexOf('=');
    if (i > 0 && !out.has(part.slice(0, i))) out.set(part.slice(0, i), part.slice(i + 1));
  }
  return out;
}

const decode = (v: string) => {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return refuse('logout_malformed', 'a parameter is not URL-encoded correctly');
  }
};

function parseXml(xml: string): XmlElement {
  if (/<!\s*(DOCTYPE|ENTITY)/i.test(xml)) refuse('logout_malformed', 'the message contains a DOCTYPE or ENTITY declaration');
  const shape = xmlShapeProblem(xml);
  if (shape) refuse('logout_malformed', `the message has ${shape}`);
  let root: XmlElement | null = null;
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        throw new Error(`${level}: ${message}`);
      },
    }).parseFromString(xml, 'text/xml');
    root = doc.documentElement;
  } catch (e) {
    refuse('logout_malformed', `the message is not well-formed XML: ${String(e instanceof Error ? e.message : e).slice(0, 200)}`);
  }
  const tree = root ? domShapeProblem(root) : null;
  if (tree) refuse('logout_malformed', `the message has ${tree}`);
  if (!root || root.namespaceURI !== SAMLP || (root.localName !== 'LogoutRequest' && root.localName !== 'LogoutResponse')) {
    refuse('logout_malformed', 'the message is not a samlp:LogoutRequest or samlp:LogoutResponse');
  }
  return root!;
}

const children = (el: XmlElement, ns: string, name: string): XmlElement[] =>
  Array.from(el.childNodes).filter((n): n is XmlElement => n.nodeType === 1 && (n as XmlElement).namespaceURI === ns && (n as XmlElement).localName === name);

/**
 * Reads a logout message from the query (HTTP-Redirect: deflated) or a posted form (HTTP-POST:
 * base64 only), within size limits. Nothing returned is authenticated yet.
 */
export function receiveMessage(url: URL, form: URLSearchParams | null): ReceivedMessage {
  let param: 'SAMLRequest' | 'SAMLResponse';
  let encoded: string;
  let relayState: string | null;
  let redirectSignature: ReceivedMessage['redirectSignature'] = null;
  let xml: string;
  if (form) {
    const req = form.get('SAMLRequest');
    param = req !== null ? 'SAMLRequest' : 'SAMLResponse';
    encoded = (req ?? form.get('SAMLResponse') ?? '').replace(/\s+/g, '');
    relayState = form.get('RelayState');
    if (!encoded) refuse('logout_malformed', 'no SAMLRequest or SAMLResponse');
    if (encoded.length > MAX_ENCODED) refuse('logout_malformed', 'the message is too large');
    xml = Buffer.from(encoded, 'base64').toString('utf8');
  } else {
    const raw = rawParams(url.search);
    param = raw.has('SAMLRequest') ? 'SAMLRequest' : 'SAMLResponse';
    const value = raw.get(param);
    if (!value) refuse('logout_malformed', 'no SAMLRequest or SAMLResponse');
    if (value!.length > MAX_ENCODED) refuse('logout_malformed', 'the message is too large');
    encoded = decode(value!);
    relayState = raw.has('RelayState') ? decode(raw.get('RelayState')!) : null;
    try {
      xml = inflateRawSync(Buffer.from(encoded, 'base64'), { maxOutputLength: MAX_XML }).toString('utf8');
    } catch {
      refuse('logout_malformed', 'the message does not inflate (HTTP-Redirect is deflated) or is too large');
    }
    const sigAlg = raw.get('SigAlg');
    const signature = raw.get('Signature');
    if (sigAlg && signature) {
      const signed = `${param}=${value}` + (raw.has('RelayState') ? `&RelayState=${raw.get('RelayState')}` : '') + `&SigAlg=${sigAlg}`;
      redirectSignature = { signed, sigAlg: decode(sigAlg), signature: Buffer.from(decode(signature), 'base64') };
    }
  }
  if (xml!.length > MAX_XML) refuse('logout_malformed', 'the message is too large');
  const root = parseXml(xml!);
  const kind = root.localName as ReceivedMessage['kind'];
  if ((param === 'SAMLRequest') !== (kind === 'LogoutRequest')) refuse('logout_malformed', `${param} does not hold a ${param === 'SAMLRequest' ? 'LogoutRequest' : 'LogoutResponse'}`);
  const issuerEl = children(root, SAML, 'Issuer')[0];
  const issuer = issuerEl?.textContent?.trim();
  if (!issuer) refuse('logout_malformed', 'the message names no Issuer');
  return {
    kind,
    binding: form ? 'post' : 'redirect',
    xml: xml!,
    relayState: relayState && relayState.length <= 1024 ? relayState : null,
    issuer: issuer!,
    inResponseTo: root.getAttribute('InResponseTo') || null,
    redirectSignature,
  };
}

const keyCache = new Map<string, KeyObject>();
const publicKeyOf = (pem: string) => {
  let k = keyCache.get(pem);
  if (!k) {
    if (keyCache.size > 256) keyCache.clear();
    keyCache.set(pem, (k = new X509Certificate(pem).publicKey));
  }
  return k;
};

/**
 * Verifies the message's signature with one of the IdP's certificates and returns the signed
 * message element, from which alone the message is read.
 */
export function verifiedMessage(m: ReceivedMessage, certificates: string[]): XmlElement {
  if (m.binding === 'redirect') {
    const s = m.redirectSignature;
    if (!s) refuse('logout_unsigned', 'the message carries no SigAlg and Signature');
    if (WEAK.test(s!.sigAlg)) refuse('weak_algorithm', `signature algorithm ${s!.sigAlg} is not accepted`);
    const hash = SIG_ALGS[s!.sigAlg];
    if (!hash) refuse('logout_signature_invalid', 'unsupported signature algorithm');
    const ok = certificates.some((pem) => {
      try {
        return cryptoVerify(hash, Buffer.from(s!.signed), publicKeyOf(pem), s!.signature);
      } catch {
        return false;
      }
    });
    if (!ok) refuse('logout_signature_invalid', 'the signature does not verify with the IdP’s certificates');
    return parseXml(m.xml);
  }
  const root = parseXml(m.xml);
  const signatures = root.getElementsByTagNameNS(DS, 'Signature');
  if (signatures.length === 0) refuse('logout_unsigned', 'the message is not signed');
  if (signatures.length > 1 || signatures[0].parentNode !== root) refuse('logout_signature_invalid', 'one signature, on the message element, is accepted');
  const id = root.getAttribute('ID');
  if (!id) refuse('logout_malformed', 'the message has no ID');
  // xml-crypto finds the referenced element by any attribute named ID, Id or id: it must be this one alone.
  const sameId = Array.from(root.ownerDocument!.getElementsByTagNameNS('*', '*')).filter((e) => ['ID', 'Id', 'id'].some((a) => e.getAttribute(a) === id));
  if (sameId.length !== 1) refuse('logout_signature_invalid', 'the signed ID is not unique in the message');
  const algorithms = Array.from(signatures[0].getElementsByTagNameNS(DS, 'SignatureMethod'))
    .concat(Array.from(signatures[0].getElementsByTagNameNS(DS, 'DigestMethod')))
    .map((e) => e.getAttribute('Algorithm') ?? '');
  if (algorithms.some((a) => WEAK.test(a))) refuse('weak_algorithm', 'SHA-1 signatures are not accepted');
  const references = Array.from(signatures[0].getElementsByTagNameNS(DS, 'Reference'));
  if (references.length !== 1 || references[0].getAttribute('URI') !== `#${id}`) refuse('logout_signature_invalid', 'the signature does not cover the message');
  let signedXml: string | null = null;
  for (const pem of certificates) {
    try {
      const v = new SignedXml({ publicCert: pem, getCertFromKeyInfo: () => null });
      v.loadSignature(signatures[0] as never);
      if (v.checkSignature(m.xml)) {
        signedXml = v.getSignedReferences()[0] ?? null;
        break;
      }
    } catch {
      // another certificate
    }
  }
  if (!signedXml) refuse('logout_signature_invalid', 'the signature does not verify with the IdP’s certificates');
  const signed = parseXml(signedXml!);
  if (signed.getAttribute('ID') !== id || signed.localName !== root.localName) refuse('logout_signature_invalid', 'the signature does not cover the message');
  return signed;
}

/**
 * Checks common to both messages: Destination (required: a signed message must name where it was
 * sent, SAML bindings 3.4.5.2 and 3.5.5.2) and age.
 */
function checkEnvelope(el: XmlElement, sloUrl: string, now: number): void {
  const destination = el.getAttribute('Destination');
  if (destination !== sloUrl) refuse('logout_destination_mismatch', `Destination ${JSON.stringify((destination ?? '(none)').slice(0, 200))} is not this SLO URL`);
  const instant = Date.parse(el.getAttribute('IssueInstant') ?? '');
  if (Number.isNaN(instant)) refuse('logout_malformed', 'the message has no valid IssueInstant');
  if (instant < now - MAX_AGE_MS - SKEW_MS || instant > now + SKEW_MS) refuse('logout_expired', 'the message is too old or dated in the future');
}

export type LogoutRequestRead = { id: string; nameId: string; nameIdFormat: string | null; sessionIndexes: string[]; notOnOrAfter: Date };

/** What a verified LogoutRequest asks: whose sessions (NameID, SessionIndex) to end. */
export function readLogoutRequest(el: XmlElement, sloUrl: string, now = Date.now()): LogoutRequestRead {
  checkEnvelope(el, sloUrl, now);
  const id = el.getAttribute('ID');
  if (!id || id.length > 256) refuse('logout_malformed', 'the LogoutRequest has no valid ID');
  const notOnOrAfter = el.getAttribute('NotOnOrAfter');
  if (notOnOrAfter && Date.parse(notOnOrAfter) <= now - SKEW_MS) refuse('logout_expired', 'the LogoutRequest has expired (NotOnOrAfter)');
  if (children(el, SAML, 'EncryptedID').length) refuse('logout_malformed', 'an encrypted NameID is not supported');
  const nameIds = children(el, SAML, 'NameID');
  if (nameIds.length !== 1 || !nameIds[0].textContent?.trim()) refuse('logout_malformed', 'the LogoutRequest must name one NameID');
  const sessionIndexes = children(el, SAMLP, 'SessionIndex')
    .map((s) => s.textContent?.trim() ?? '')
    .filter(Boolean)
    .slice(0, 20);
  return {
    id: id!,
    nameId: nameIds[0].textContent!.trim(),
    nameIdFormat: nameIds[0].getAttribute('Format') || null,
    sessionIndexes,
    notOnOrAfter: new Date(now + MAX_AGE_MS + SKEW_MS),
  };
}

/** A verified LogoutResponse: which request it answers, and whether the IdP succeeded. */
export function readLogoutResponse(el: XmlElement, sloUrl: string, now = Date.now()): { inResponseTo: string; success: boolean; status: string } {
  checkEnvelope(el, sloUrl, now);
  const inResponseTo = el.getAttribute('InResponseTo');
  if (!inResponseTo) refuse('logout_malformed', 'the LogoutResponse answers no request');
  const status = children(children(el, SAMLP, 'Status')[0] ?? el, SAMLP, 'StatusCode')[0]?.getAttribute('Value') ?? '';
  return { inResponseTo: inResponseTo!, success: status === STATUS_SUCCESS, status };
}

const instant = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const newId = () => `_${randomBytes(16).toString('hex')}`;

/** The portal's LogoutRequest for a session it started from this IdP's assertion. */
export function logoutRequestXml(o: { issuer: string; destination: string; nameId: string; nameIdFormat: string | null; sessionIndex: string | null }): { id: string; xml: string } {
  const id = newId();
  const xml =
    `<samlp:LogoutRequest xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${id}" Version="2.0" IssueInstant="${instant()}" Destination="${esc(o.destination)}">` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<saml:NameID${o.nameIdFormat ? ` Format="${esc(o.nameIdFormat)}"` : ''}>${esc(o.nameId)}</saml:NameID>` +
    (o.sessionIndex ? `<samlp:SessionIndex>${esc(o.sessionIndex)}</samlp:SessionIndex>` : '') +
    `</samlp:LogoutRequest>`;
  return { id, xml };
}

/** The portal's LogoutResponse to an IdP's LogoutRequest. */
export function logoutResponseXml(o: { issuer: string; destination: string; inResponseTo: string; status?: string }): string {
  return (
    `<samlp:LogoutResponse xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newId()}" Version="2.0" IssueInstant="${instant()}" Destination="${esc(o.destination)}" InResponseTo="${esc(o.inResponseTo)}">` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${esc(o.status ?? STATUS_SUCCESS)}"/></samlp:Status>` +
    `</samlp:LogoutResponse>`
  );
}
