import { X509Certificate } from 'node:crypto';
import { DOMParser, type Element as XmlElement } from '@xmldom/xmldom';
import type { IdpCertificate } from '../../db/schema/connections';
import { AppError } from '../../errors';
import { checkBrowserUrl } from '../../http/safe-fetch';
import { domShapeProblem, xmlShapeProblem } from './xml-shape';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
export const MAX_METADATA_BYTES = 1024 * 1024;

/** The IdP's service locations by binding (the SSO library reads them from the metadata it is given). */
export type IdpBindings = { ssoRedirectUrl?: string; ssoPostUrl?: string; sloRedirectUrl?: string; sloPostUrl?: string };

export type ParsedIdpMetadata = {
  entityId: string;
  ssoUrl: string;
  certificates: (IdpCertificate & { pem: string })[];
  bindings: IdpBindings;
};

const bad = (path: string, message: string) => new AppError(400, 'invalid_metadata', message, [{ path, message }]);

export function toPem(b64: string): string {
  const body = b64.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE-----\n${body.match(/.{1,64}/g)?.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** SHA-256 fingerprint as Node and openssl print it: upper-case hex pairs joined by colons. */
export function fingerprint(x: X509Certificate): string {
  return x.fingerprint256;
}

/** At most this many signing certificates per connection (two during a rollover is the norm). */
export const MAX_CERTIFICATES = 5;

/** Metadata listing more signing certificates than this (expired ones included) is refused before each is read. */
const MAX_LISTED_CERTIFICATES = 50;

/** The longest entity ID (SAML metadata schema: at most 1024 characters). */
const MAX_ENTITY_ID = 1024;

/**
 * Reads what the portal needs from IdP SAML metadata, refusing what cannot work: not XML, a
 * DOCTYPE (entity tricks), no IDPSSODescriptor, no SSO URL, an SSO or logout location that is
 * not https (http only on loopback with `allowLoopbackHttp`), no signing certificate, or only
 * expired certificates. `path` names the request field in errors.
 */
export function parseIdpMetadata(
  xml: string,
  path = 'metadataXml',
  now = new Date(),
  opts: { allowLoopbackHttp: boolean } = { allowLoopbackHttp: false },
): ParsedIdpMetadata {
  if (Buffer.byteLength(xml) > MAX_METADATA_BYTES) throw bad(path, 'metadata is larger than 1 MiB');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw bad(path, 'metadata must not contain a DOCTYPE or entity declarations');
  const shape = xmlShapeProblem(xml);
  if (shape) throw bad(path, `metadata has ${shape}`);
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') throw new Error(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch (e) {
    // The parser says `Reporting fatalError "…" caused Error: <what>`: keep <what>, in words for people.
    const what = (e as Error).message.split('\n')[0].replace(/^.*caused Error: /, '').slice(0, 120);
    throw bad(path, /missing root element/i.test(what) ? 'metadata is not well-formed XML: the file is empty or is not XML' : `metadata is not well-formed XML: ${what}`);
  }
  const root = doc.documentElement;
  if (!root) throw bad(path, 'metadata is not well-formed XML');
  const tree = domShapeProblem(root);
  if (tree) throw bad(path, `metadata has ${tree}`);
  // The IdP's entity: the document, or (in an EntitiesDescriptor) the parent of its first IDPSSODescriptor.
  const firstIdp = root.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0]?.parentNode as XmlElement | null | undefined;
  const entity =
    root.localName === 'EntityDescriptor' && root.namespaceURI === MD
      ? root
      : firstIdp?.localName === 'EntityDescriptor' && firstIdp.namespaceURI === MD
        ? firstIdp
        : undefined;
  if (!entity) throw bad(path, 'metadata has no SAML 2.0 EntityDescriptor');
  const idp = entity.getElementsByTagNameNS(MD, 'IDPSSODescriptor')[0];
  if (!idp) throw bad(path, 'metadata has no IDPSSODescriptor: is this the identity provider’s metadata?');
  const entityId = entity.getAttribute('entityID')?.trim();
  if (!entityId) throw bad(path, 'metadata has no entityID');
  if (entityId.length > MAX_ENTITY_ID) throw bad(path, `metadata entityID is longer than ${MAX_ENTITY_ID} characters`);

  // Every HTTP-Redirect and HTTP-POST location is checked (not only the one the portal uses):
  // the browser is sent to them, so each must be https (http only on loopback in development).
  // Only the checked, normalised values are kept; the SSO library is given metadata rebuilt from
  // them (buildIdpMetadataXml), never this document.
  const located = (el: string) =>
    Array.from(idp.getElementsByTagNameNS(MD, el))
      .filter((s) => s.getAttribute('Binding') === REDIRECT || s.getAttribute('Binding') === POST)
      .map((s) => {
        const raw = s.getAttribute('Location') ?? '';
        let href: string;
        try {
          href = checkBrowserUrl(raw.trim(), { path, allowLoopbackHttp: opts.allowLoopbackHttp }).href;
        } catch (e) {
          const shown = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
          throw bad(path, `${el} location ${JSON.stringify(shown)} ${(e as Error).message}`);
        }
        return { binding: s.getAttribute('Binding')!, href };
      });
  const sso = located('SingleSignOnService');
  const slo = located('SingleLogoutService');
  const at = (list: { binding: string; href: string }[], binding: string) => list.find((s) => s.binding === binding)?.href;
  const bindings: IdpBindings = {
    ssoRedirectUrl: at(sso, REDIRECT),
    ssoPostUrl: at(sso, POST),
    sloRedirectUrl: at(slo, REDIRECT),
    sloPostUrl: at(slo, POST),
  };
  const ssoUrl = bindings.ssoRedirectUrl ?? bindings.ssoPostUrl;
  if (!ssoUrl) throw bad(path, 'metadata has no SingleSignOnService with an HTTP-Redirect or HTTP-POST location');

  const certificates: ParsedIdpMetadata['certificates'] = [];
  const seen = new Set<string>();
  for (const kd of Array.from(idp.getElementsByTagNameNS(MD, 'KeyDescriptor'))) {
    const use = kd.getAttribute('use');
    if (use && use !== 'signing') continue;
    for (const c of Array.from(kd.getElementsByTagNameNS(DS, 'X509Certificate'))) {
      const b64 = (c.textContent ?? '').replace(/\s+/g, '');
      if (!b64) continue;
      let x: X509Certificate;
      try {
        x = new X509Certificate(Buffer.from(b64, 'base64'));
      } catch {
        throw bad(path, 'metadata contains a signing certificate that cannot be read');
      }
      const fp = fingerprint(x);
      if (seen.has(fp)) continue;
      seen.add(fp);
      if (seen.size > MAX_LISTED_CERTIFICATES) throw bad(path, `metadata lists more than ${MAX_LISTED_CERTIFICATES} signing certificates`);
      certificates.push({
        fingerprintSha256: fp,
        notBefore: new Date(x.validFrom).toISOString(),
        notAfter: new Date(x.validTo).toISOString(),
        subject: x.subject.replace(/\n/g, ', '),
        pem: toPem(b64),
      });
    }
  }
  if (!certificates.length) throw bad(path, 'metadata has no signing certificate');
  const valid = certificates.filter((c) => new Date(c.notAfter) > now);
  if (!valid.length) {
    throw bad(path, `the signing certificate expired on ${certificates.map((c) => c.notAfter.slice(0, 10)).join(', ')}`);
  }
  // Each is tried against every signed response: a connection holds a few, as when added one by one.
  if (valid.length > MAX_CERTIFICATES) throw bad(path, `metadata has ${valid.length} signing certificates that have not expired; a connection holds at most ${MAX_CERTIFICATES}`);
  return { entityId, ssoUrl, certificates: valid, bindings };
}

/** Escapes text and double-quoted attribute values of metadata built here. */
export const esc = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const derOf = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

/**
 * IdP metadata written from what the portal holds: the entity ID, the service locations and
 * exactly these signing certificates (each in a KeyDescriptor use="signing"). It is what the SSO
 * library is given whenever the portal changes a connection's certificates, so that the library
 * and the portal's own signature check trust the same keys.
 */
export function buildIdpMetadataXml(input: { entityId: string; bindings: IdpBindings; certificates: { pem: string }[] }): string {
  const { entityId, bindings: b, certificates } = input;
  const service = (el: string, binding: string, location?: string) =>
    location ? `<md:${el} Binding="${binding}" Location="${esc(location)}"/>` : '';
  return (
    `<md:EntityDescriptor xmlns:md="${MD}" xmlns:ds="${DS}" entityID="${esc(entityId)}">` +
    `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    certificates
      .map((c) => `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${derOf(c.pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`)
      .join('') +
    service('SingleLogoutService', REDIRECT, b.sloRedirectUrl) +
    service('SingleLogoutService', POST, b.sloPostUrl) +
    service('SingleSignOnService', REDIRECT, b.ssoRedirectUrl) +
    service('SingleSignOnService', POST, b.ssoPostUrl) +
    `</md:IDPSSODescriptor></md:EntityDescriptor>`
  );
}
