/**
 * A corpus of hostile or invalid SAML responses, built from one valid response, for testing that
 * the SP's ACS rejects each of them.
 *
 * Every entry must be REJECTED. `expectedReason` is the reason a strict SP should report;
 * `acceptableReasons` (always containing `expectedReason`) lists others that are also correct,
 * because which check fires first is the SP's choice. Where an attack tries to make the SP
 * authenticate someone else, `targetNameId` is that identity: whatever else happens, no session
 * may ever be created for it from this response.
 *
 * Reasons:
 *   signature_missing            no signature over the assertion (or response) at all
 *   signature_invalid            a signature is present but does not verify with the configured
 *                                IdP certificate, or does not cover the assertion being used
 *   untrusted_certificate        (acceptable only) the signing certificate is not the IdP's
 *   multiple_assertions          more than one saml:Assertion element anywhere in the document;
 *                                every signature-wrapping (XSW) shape necessarily has two
 *   comment_forbidden            XML comment or processing instruction inside the signed assertion (injection)
 *   audience_mismatch            Audience is not exactly the SP entity ID
 *   recipient_mismatch           SubjectConfirmationData/@Recipient is not exactly the ACS URL
 *   destination_mismatch         Response/@Destination is not exactly the ACS URL
 *   in_response_to_missing       no InResponseTo although the SP sent an AuthnRequest
 *   in_response_to_mismatch      InResponseTo names a request this SP did not send
 *   expired                      Conditions/@NotOnOrAfter in the past (beyond any clock skew)
 *   not_yet_valid                Conditions/@NotBefore in the future (beyond any clock skew)
 *   subject_confirmation_expired SubjectConfirmationData/@NotOnOrAfter in the past, Conditions valid
 *   doctype_forbidden            the document contains a DOCTYPE (entity expansion, XXE, DTD fetch)
 *   weak_algorithm               RSA-SHA1 signature or SHA-1 digest
 *   status_not_success           top-level StatusCode is not urn:…:status:Success
 *
 * Notes:
 * - Times are relative to `options.now` (default: `base.issueInstant` or the current time); the
 *   expiry attacks are 30+ minutes off, well beyond a 10-minute skew allowance.
 * - The XSW variants are built with `signResponse: false` whatever `base` says: a response
 *   signature would make them trivially detectable, which is not what they are meant to test.
 * - The InResponseTo attacks are only generated when `base.inResponseTo` is set (an SP-initiated
 *   flow); for an IdP-initiated base there is no request to mismatch.
 * - The DOCTYPE attacks are harmless even to a naive parser: the entity expansion is bounded
 *   (1,000 "lol"s) and external references point at `options.externalDtdUrl` (default an
 *   unreachable http://127.0.0.1:9/…), so a test may point them at a listener to detect fetches.
 */
import { XMLSerializer, type Document as XmlDocument, type Element as XmlElement } from '@xmldom/xmldom';
import {
  type BuildResponseOptions,
  childElements,
  createIdpKeyPair,
  type IdpKeyPair,
  newSamlId,
  NS,
  parseXml,
  TestSamlIdp,
} from './saml-idp';

export const ATTACK_REASONS = [
  'signature_missing',
  'signature_invalid',
  'untrusted_certificate',
  'multiple_assertions',
  'comment_forbidden',
  'audience_mismatch',
  'recipient_mismatch',
  'destination_mismatch',
  'in_response_to_missing',
  'in_response_to_mismatch',
  'expired',
  'not_yet_valid',
  'subject_confirmation_expired',
  'doctype_forbidden',
  'weak_algorithm',
  'status_not_success',
] as const;

export type AttackReason = (typeof ATTACK_REASONS)[number];

export interface SamlAttack {
  /** Stable, kebab-case; usable as a test title. */
  name: string;
  description: string;
  /** Base64 SAMLResponse, as posted to the ACS. */
  samlResponse: string;
  expectedReason: AttackReason;
  acceptableReasons: readonly AttackReason[];
  /** The identity the attacker tries to assume; never sign this user in from this response. */
  targetNameId?: string;
}

export interface AttackOptions {
  /** Reference time for the validity-window attacks. */
  now?: Date;
  /** Identity to impersonate. Default: admin@<domain of base.nameId>. */
  targetNameId?: string;
  /** Key of the attacker's own "IdP". Default: a fresh key pair. */
  attackerKeyPair?: IdpKeyPair;
  /** URL used for the external DTD / external entity. Default http://127.0.0.1:9/evil.dtd. */
  externalDtdUrl?: string;
}

const MINUTE = 60 * 1000;
const ATTACKER_URL = 'https://sp.attacker.test';

/**
 * Builds the attack corpus. `base` are the options of a response the SP would accept (right ACS
 * URL, audience, InResponseTo of a pending request, …). The assertion is always signed.
 */
export function attackResponses(
  idp: TestSamlIdp,
  base: BuildResponseOptions,
  options: AttackOptions = {},
): SamlAttack[] {
  const now = options.now ?? base.issueInstant ?? new Date();
  const at = (minutes: number) => new Date(now.getTime() + minutes * MINUTE);
  const valid: BuildResponseOptions = { ...base, issueInstant: now, signAssertion: true };
  const forWrapping: BuildResponseOptions = { ...valid, signResponse: false };
  const target = options.targetNameId ?? defaultTarget(base.nameId);
  const dtdUrl = options.externalDtdUrl ?? 'http://127.0.0.1:9/evil.dtd';
  const targetAttributes = retarget(base.attributes, base.nameId, target);
  const attacks: SamlAttack[] = [];

  const add = (
    name: string,
    description: string,
    xml: string,
    expectedReason: AttackReason,
    also: AttackReason[] = [],
    targetNameId?: string,
  ) => {
    attacks.push({
      name,
      description,
      samlResponse: Buffer.from(xml, 'utf8').toString('base64'),
      expectedReason,
      acceptableReasons: [expectedReason, ...also],
      ...(targetNameId ? { targetNameId } : {}),
    });
  };

  // --- Signature wrapping (XSW) -------------------------------------------------------------
  // In each shape the original signed assertion stays in the document, so its signature still
  // verifies; an SP that checks "a valid signature exists" and then reads a different assertion
  // signs in `target`.

  add(
    'xsw-evil-assertion-before-signed',
    'Unsigned evil assertion inserted as a sibling before the signed one.',
    mutate(idp.buildResponseXml(forWrapping), (doc) => {
      const signed = onlyAssertion(doc);
      signed.parentNode!.insertBefore(evilCopy(signed, target), signed);
    }),
    'multiple_assertions',
    ['signature_invalid'],
    target,
  );

  add(
    'xsw-signed-assertion-in-extensions',
    'Signed assertion moved into samlp:Extensions; an evil assertion carrying the (moved) signature takes its place.',
    mutate(idp.buildResponseXml(forWrapping), (doc) => {
      const response = doc.documentElement!;
      const signed = onlyAssertion(doc);
      const evil = evilCopy(signed, target);
      // The evil assertion carries the original Signature, whose Reference still points at the
      // original's ID; the enveloped transform removed that Signature anyway, so the digest holds.
      const signature = signatureOf(signed);
      signed.removeChild(signature);
      insertAfter(signature, firstChild(evil, NS.saml, 'Issuer'));
      response.replaceChild(evil, signed);
      const extensions = doc.createElementNS(NS.samlp, 'samlp:Extensions');
      extensions.appendChild(signed);
      insertExtensions(response, extensions);
    }),
    'multiple_assertions',
    ['signature_invalid'],
    target,
  );

  add(
    'xsw-signed-assertion-in-signature-object',
    'Evil assertion in place of the signed one, carrying the signature, whose ds:Object holds the original assertion.',
    mutate(idp.buildResponseXml(forWrapping), (doc) => {
      const signed = onlyAssertion(doc);
      const evil = evilCopy(signed, target);
      const signature = signatureOf(signed);
      signed.removeChild(signature);
      signed.parentNode!.replaceChild(evil, signed);
      insertAfter(signature, firstChild(evil, NS.saml, 'Issuer'));
      const object = doc.createElementNS(NS.ds, 'ds:Object');
      object.appendChild(signed);
      signature.appendChild(object);
    }),
    'multiple_assertions',
    ['signature_invalid'],
    target,
  );

  add(
    'xsw-evil-assertion-wraps-signed',
    'Unsigned evil assertion that contains the signed assertion (in saml:Advice).',
    mutate(idp.buildResponseXml(forWrapping), (doc) => {
      const signed = onlyAssertion(doc);
      const evil = evilCopy(signed, target);
      signed.parentNode!.replaceChild(evil, signed);
      const advice = doc.createElementNS(NS.saml, 'saml:Advice');
      advice.appendChild(signed);
      insertAfter(advice, firstChild(evil, NS.saml, 'Conditions'));
    }),
    'multiple_assertions',
    ['signature_invalid'],
    target,
  );

  // --- Comment injection ---------------------------------------------------------------------
  // The IdP signs `<target>.attacker.test` (an account the attacker could own); a comment is
  // inserted after `<target>`. Canonicalization drops comments, so the signature still verifies,
  // but code reading only the first text node of NameID sees `<target>`.
  {
    const signedValue = `${target}.attacker.test`;
    add(
      'comment-injection-nameid',
      `NameID "${target}<!---->.attacker.test": signed value "${signedValue}", first text node "${target}".`,
      mutate(idp.buildResponseXml({ ...valid, nameId: signedValue }), (doc) => {
        const nameId = nameIdOf(onlyAssertion(doc));
        replaceChildren(nameId, [
          doc.createTextNode(target),
          doc.createComment(''),
          doc.createTextNode('.attacker.test'),
        ]);
      }),
      'comment_forbidden',
      // An SP that reads the full signed text would instead see the attacker's own identity
      // (`signedValue`), which is no impersonation; rejecting is still the expected outcome.
      ['signature_invalid'],
      target,
    );
  }

  // --- Processing-instruction injection ------------------------------------------------------
  // Like the comment injection, with `<?x .attacker.test?>`: a canonicalizer that renders the
  // instruction's data as text still matches the signed value, while a DOM reader skips it.
  {
    const signedValue = `${target}.attacker.test`;
    add(
      'pi-injection-nameid',
      `NameID "${target}<?x .attacker.test?>": signed value "${signedValue}", text content "${target}".`,
      mutate(idp.buildResponseXml({ ...valid, nameId: signedValue }), (doc) => {
        const nameId = nameIdOf(onlyAssertion(doc));
        replaceChildren(nameId, [doc.createTextNode(target), doc.createProcessingInstruction('x', '.attacker.test')]);
      }),
      'comment_forbidden',
      ['signature_invalid'],
      target,
    );
  }

  // --- Signature tampering -------------------------------------------------------------------

  add(
    'signature-stripped',
    'All ds:Signature elements removed, and the subject changed to the target.',
    mutate(idp.buildResponseXml(valid), (doc) => {
      for (const sig of Array.from(doc.getElementsByTagNameNS(NS.ds, 'Signature'))) sig.parentNode!.removeChild(sig);
      switchSubject(onlyAssertion(doc), target);
    }),
    'signature_missing',
    ['signature_invalid'],
    target,
  );

  {
    const attacker = new TestSamlIdp({
      entityId: idp.entityId,
      ssoUrl: idp.ssoUrl,
      keyPair: options.attackerKeyPair ?? createIdpKeyPair({ commonName: 'attacker.test' }),
    });
    add(
      'resigned-with-attacker-key',
      'Valid-looking response for the target, signed with an attacker key; the attacker certificate is in KeyInfo.',
      attacker.buildResponseXml({ ...valid, nameId: target, attributes: targetAttributes }),
      'signature_invalid',
      ['untrusted_certificate'],
      target,
    );
  }

  add(
    'nameid-modified-after-signing',
    'NameID changed to the target after the assertion was signed.',
    mutate(idp.buildResponseXml(valid), (doc) => setText(nameIdOf(onlyAssertion(doc)), target)),
    'signature_invalid',
    [],
    target,
  );

  add(
    'attribute-modified-after-signing',
    'An attribute value changed (or a role=admin attribute added) after the assertion was signed.',
    mutate(idp.buildResponseXml(valid), (doc) => {
      const assertion = onlyAssertion(doc);
      const value = assertion.getElementsByTagNameNS(NS.saml, 'AttributeValue')[0];
      if (value) {
        setText(value, target);
        return;
      }
      const statement = doc.createElementNS(NS.saml, 'saml:AttributeStatement');
      const attribute = doc.createElementNS(NS.saml, 'saml:Attribute');
      attribute.setAttribute('Name', 'role');
      const attributeValue = doc.createElementNS(NS.saml, 'saml:AttributeValue');
      attributeValue.appendChild(doc.createTextNode('admin'));
      attribute.appendChild(attributeValue);
      statement.appendChild(attribute);
      assertion.appendChild(statement);
    }),
    'signature_invalid',
  );

  // --- Validity window -----------------------------------------------------------------------

  add(
    'expired',
    'Issued 2 h ago; Conditions and SubjectConfirmationData NotOnOrAfter 30 min in the past.',
    idp.buildResponseXml({ ...valid, issueInstant: at(-120), notBefore: at(-120), notOnOrAfter: at(-30) }),
    'expired',
    ['subject_confirmation_expired'],
  );

  add(
    'not-yet-valid',
    'Conditions NotBefore 60 min in the future (NotOnOrAfter 120 min).',
    idp.buildResponseXml({ ...valid, notBefore: at(60), notOnOrAfter: at(120) }),
    'not_yet_valid',
  );

  add(
    'subject-confirmation-expired',
    'Conditions valid, but SubjectConfirmationData NotOnOrAfter 30 min in the past.',
    idp.buildResponseXml({ ...valid, notOnOrAfter: at(5), subjectConfirmationNotOnOrAfter: at(-30) }),
    'subject_confirmation_expired',
    ['expired'],
  );

  // --- Audience, recipient, destination ------------------------------------------------------

  add(
    'audience-wrong',
    'Audience is another SP.',
    idp.buildResponseXml({ ...valid, audience: `${ATTACKER_URL}/saml/metadata` }),
    'audience_mismatch',
  );
  add(
    'audience-prefix-extension-char',
    'Audience is ours + "x" (catches prefix/startsWith comparisons).',
    idp.buildResponseXml({ ...valid, audience: `${base.audience}x` }),
    'audience_mismatch',
  );
  add(
    'audience-prefix-extension-path',
    'Audience is ours + "/evil" (catches prefix/startsWith comparisons).',
    idp.buildResponseXml({ ...valid, audience: `${base.audience}/evil` }),
    'audience_mismatch',
  );
  add(
    'recipient-wrong',
    'SubjectConfirmationData Recipient is another ACS (Destination is right).',
    idp.buildResponseXml({ ...valid, recipient: `${ATTACKER_URL}/acs` }),
    'recipient_mismatch',
  );
  add(
    'destination-wrong',
    'Response Destination is another ACS (Recipient is right).',
    idp.buildResponseXml({ ...valid, destination: `${ATTACKER_URL}/acs` }),
    'destination_mismatch',
  );

  // --- InResponseTo ---------------------------------------------------------------------------

  if (base.inResponseTo) {
    add(
      'in-response-to-missing',
      'No InResponseTo on Response or SubjectConfirmationData (looks unsolicited) although a request is pending.',
      idp.buildResponseXml({ ...valid, inResponseTo: undefined }),
      'in_response_to_missing',
    );
    add(
      'in-response-to-foreign',
      'InResponseTo names a request this SP never sent.',
      idp.buildResponseXml({ ...valid, inResponseTo: newSamlId() }),
      'in_response_to_mismatch',
    );
  }

  // --- DOCTYPE --------------------------------------------------------------------------------

  add(
    'doctype-internal-entity-expansion',
    'DOCTYPE with nested internal entities (billion-laughs shape, bounded to 1,000 expansions) referenced in samlp:Extensions.',
    withDoctype(
      idp.buildResponseXml(valid),
      [
        '<!ENTITY lol "lol">',
        `<!ENTITY lol1 "${'&lol;'.repeat(10)}">`,
        `<!ENTITY lol2 "${'&lol1;'.repeat(10)}">`,
        `<!ENTITY lol3 "${'&lol2;'.repeat(10)}">`,
      ],
      '&lol3;',
    ),
    'doctype_forbidden',
  );
  add(
    'doctype-external-dtd',
    `DOCTYPE with an external DTD (SYSTEM "${dtdUrl}").`,
    withDoctype(idp.buildResponseXml(valid), [], undefined, dtdUrl),
    'doctype_forbidden',
  );
  add(
    'doctype-external-entity',
    `DOCTYPE declaring an external entity (XXE, SYSTEM "${dtdUrl}") referenced in samlp:Extensions.`,
    withDoctype(idp.buildResponseXml(valid), [`<!ENTITY xxe SYSTEM "${dtdUrl}">`], '&xxe;'),
    'doctype_forbidden',
  );

  // --- Structure, algorithms, status ---------------------------------------------------------

  add(
    'two-signed-assertions',
    'Two assertions, each validly signed by the IdP: the base user and the target.',
    mutate(idp.buildResponseXml(valid), (doc) => {
      const second = parseXml(
        idp.buildAssertionXml({ ...valid, nameId: target, attributes: targetAttributes }),
      ).documentElement!;
      doc.documentElement!.appendChild(doc.importNode(second, true));
    }),
    'multiple_assertions',
    [],
    target,
  );

  add(
    'sha1-signature',
    'Assertion signed with RSA-SHA1 and a SHA-1 digest.',
    idp.buildResponseXml({ ...valid, signatureAlgorithm: 'sha1', digestAlgorithm: 'sha1' }),
    'weak_algorithm',
  );
  add(
    'sha1-digest',
    'RSA-SHA256 signature over a SHA-1 reference digest.',
    idp.buildResponseXml({ ...valid, signatureAlgorithm: 'sha256', digestAlgorithm: 'sha1' }),
    'weak_algorithm',
  );

  add(
    'status-not-success',
    'StatusCode Responder, yet a validly signed assertion is included.',
    idp.buildResponseXml({ ...valid, statusCode: 'Responder', statusMessage: 'Authentication failed' }),
    'status_not_success',
  );

  return attacks;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function defaultTarget(nameId: string): string {
  const domain = nameId.includes('@') ? nameId.slice(nameId.lastIndexOf('@') + 1) : 'example.com';
  const target = `admin@${domain}`;
  return target === nameId ? `root@${domain}` : target;
}

function mutate(xml: string, change: (doc: XmlDocument) => void): string {
  const doc = parseXml(xml);
  change(doc);
  return new XMLSerializer().serializeToString(doc);
}

function onlyAssertion(doc: XmlDocument): XmlElement {
  const assertions = doc.getElementsByTagNameNS(NS.saml, 'Assertion');
  if (assertions.length !== 1) throw new Error(`expected one assertion, found ${assertions.length}`);
  return assertions[0]!;
}

function firstChild(parent: XmlElement, ns: string, localName: string): XmlElement {
  const child = childElements(parent, ns, localName)[0];
  if (!child) throw new Error(`${parent.nodeName} has no ${localName} child`);
  return child;
}

function signatureOf(assertion: XmlElement): XmlElement {
  return firstChild(assertion, NS.ds, 'Signature');
}

function nameIdOf(assertion: XmlElement): XmlElement {
  return firstChild(firstChild(assertion, NS.saml, 'Subject'), NS.saml, 'NameID');
}

function insertAfter(node: XmlElement, reference: XmlElement): void {
  reference.parentNode!.insertBefore(node, reference.nextSibling);
}

/** samlp:Extensions goes after the Response's Issuer and its Signature, if any (schema order). */
function insertExtensions(response: XmlElement, extensions: XmlElement): void {
  insertAfter(extensions, childElements(response, NS.ds, 'Signature')[0] ?? firstChild(response, NS.saml, 'Issuer'));
}

function replaceChildren(parent: XmlElement, nodes: Parameters<XmlElement['appendChild']>[0][]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  for (const node of nodes) parent.appendChild(node);
}

function setText(el: XmlElement, text: string): void {
  replaceChildren(el, [el.ownerDocument!.createTextNode(text)]);
}

/** A deep copy of `assertion` with a fresh ID, no signature, and the subject switched to `nameId`. */
function evilCopy(assertion: XmlElement, nameId: string): XmlElement {
  const evil = assertion.cloneNode(true) as XmlElement;
  evil.setAttribute('ID', newSamlId());
  for (const sig of childElements(evil, NS.ds, 'Signature')) evil.removeChild(sig);
  switchSubject(evil, nameId);
  return evil;
}

/** Sets the NameID, and every AttributeValue that repeated the old NameID, to `nameId`. */
function switchSubject(assertion: XmlElement, nameId: string): void {
  const nameIdEl = nameIdOf(assertion);
  const original = nameIdEl.textContent;
  setText(nameIdEl, nameId);
  for (const value of Array.from(assertion.getElementsByTagNameNS(NS.saml, 'AttributeValue'))) {
    if (value.textContent === original) setText(value, nameId);
  }
}

/** `attributes` with every value equal to `from` replaced by `to`. */
type Attributes = BuildResponseOptions['attributes'];

function retarget(attributes: Attributes, from: string, to: string): Attributes {
  if (!attributes) return attributes;
  const swap = (v: string) => (v === from ? to : v);
  const swapAll = (v: string | string[]) => (Array.isArray(v) ? v.map(swap) : swap(v));
  return Object.fromEntries(
    Object.entries(attributes).map(([name, input]) => [
      name,
      typeof input === 'string' || Array.isArray(input) ? swapAll(input) : { ...input, values: swapAll(input.values) },
    ]),
  );
}

/**
 * Prepends `<!DOCTYPE samlp:Response …>` and, when `entityRef` is given, references it from a
 * samlp:Extensions element of the Response. DOCTYPE and entity references cannot be
 * created through the DOM in a way xmldom serializes, so a placeholder text is replaced instead.
 */
function withDoctype(xml: string, declarations: string[], entityRef?: string, systemId?: string): string {
  const placeholder = `ENTITY-PLACEHOLDER-${newSamlId()}`;
  let body = xml;
  if (entityRef) {
    body = mutate(xml, (doc) => {
      const response = doc.documentElement!;
      const extensions = doc.createElementNS(NS.samlp, 'samlp:Extensions');
      const note = doc.createElementNS('urn:x-attacker', 'evil:Note');
      note.appendChild(doc.createTextNode(placeholder));
      extensions.appendChild(note);
      insertExtensions(response, extensions);
    }).replace(placeholder, entityRef);
  }
  const external = systemId ? ` SYSTEM "${systemId}"` : '';
  const subset = declarations.length ? ` [\n  ${declarations.join('\n  ')}\n]` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE samlp:Response${external}${subset}>\n${body}`;
}
