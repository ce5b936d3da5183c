/**
 * Reads the attributes of a pasted SAML assertion for the role-mapping preview, in the browser
 * (DOMParser; tests pass @xmldom/xmldom's). Accepted: a `<saml:AttributeStatement>` section,
 * loose `<saml:Attribute>` elements, a whole `<saml:Assertion>` or `<samlp:Response>`, or the
 * base64 `SAMLResponse` as a browser posts it. Namespace prefixes the fragment uses without
 * declaring them are declared for it, so a section cut out of a larger document parses.
 *
 * Like the sign-in (lib/sso/saml/checks.ts), each attribute is keyed by its `Name` and, when
 * present and different, also by its `FriendlyName`; values keep document order; `xsi:nil`
 * values are skipped. Unlike the sign-in, values are trimmed (pasted XML is often re-indented).
 * SAML 1.1 `AttributeName` is read where there is no `Name`. Nothing is fetched or executed:
 * a DOCTYPE is refused outright.
 */

/** The part of DOMParser used here (the browser's, or @xmldom/xmldom's in tests). */
export type XmlParser = { parseFromString(source: string, mimeType: 'application/xml' | 'text/xml'): unknown };

export type SamlAttributesResult =
  | { ok: true; attributes: Record<string, string[]>; count: number; encrypted: number }
  | { ok: false; error: string };

const KNOWN_PREFIXES: Record<string, string> = {
  saml: 'urn:oasis:names:tc:SAML:2.0:assertion',
  saml2: 'urn:oasis:names:tc:SAML:2.0:assertion',
  samlp: 'urn:oasis:names:tc:SAML:2.0:protocol',
  saml2p: 'urn:oasis:names:tc:SAML:2.0:protocol',
  xs: 'http://www.w3.org/2001/XMLSchema',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xenc: 'http://www.w3.org/2001/04/xmlenc#',
};

/** Most attributes read from one paste (the preview API takes at most 100 names). */
const MAX_ATTRIBUTES = 500;

/** Minimal DOM node shape shared by browsers and xmldom. */
type XNode = {
  nodeType: number;
  localName?: string | null;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<XNode>;
  parentNode: XNode | null;
  getAttribute?(name: string): string | null;
  attributes?: ArrayLike<{ localName?: string | null; name: string; value: string }>;
};

const localNameOf = (n: XNode) => n.localName ?? n.nodeName.slice(n.nodeName.indexOf(':') + 1);

function* elements(n: XNode): Generator<XNode> {
  for (let i = 0; i < n.childNodes.length; i++) {
    const c = n.childNodes[i];
    if (c.nodeType === 1) {
      yield c;
      yield* elements(c);
    }
  }
}

const childElements = (n: XNode, local: string) => {
  const out: XNode[] = [];
  for (let i = 0; i < n.childNodes.length; i++) {
    const c = n.childNodes[i];
    if (c.nodeType === 1 && localNameOf(c) === local) out.push(c);
  }
  return out;
};

/** An XML attribute by local name, whatever its prefix (for `xsi:nil`). */
function xmlAttr(el: XNode, local: string): string | null {
  const list = el.attributes;
  if (!list) return null;
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    const name = a.localName ?? a.name.slice(a.name.indexOf(':') + 1);
    if (name === local && a.name !== 'xmlns' && !a.name.startsWith('xmlns:')) return a.value;
  }
  return null;
}

/** The base64 SAMLResponse decoded, when `text` looks like one; otherwise null. */
function decodeBase64Xml(text: string): string | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length < 8 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  try {
    const binary = atob(compact);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const xml = new TextDecoder('utf-8', { fatal: true }).decode(bytes).trim();
    return xml.startsWith('<') ? xml : null;
  } catch {
    return null;
  }
}

/** Wraps a fragment in an element that declares the prefixes it uses. */
function wrap(xml: string): string {
  const used = new Set<string>();
  for (const m of xml.matchAll(/<\/?([A-Za-z_][\w.-]*):[A-Za-z_]/g)) used.add(m[1]);
  for (const m of xml.matchAll(/[\s"']([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=/g)) used.add(m[1]);
  for (const m of xml.matchAll(/=\s*["']([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*["']/g)) used.add(m[1]); // xsi:type="xs:string"
  used.delete('xmlns');
  used.delete('xml');
  const decls = [...used]
    .sort()
    .map((p) => ` xmlns:${p}="${KNOWN_PREFIXES[p] ?? `urn:x-undeclared:${p}`}"`)
    .join('');
  return `<pasted${decls}>${xml}</pasted>`;
}

/** Whether a parsed document reports an error (browsers return a <parsererror> document instead of throwing). */
function parseError(doc: XNode): string | null {
  for (const el of elements(doc)) {
    if (localNameOf(el) === 'parsererror') {
      const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim();
      return text.replace(/^This page contains the following errors:\s*/i, '').replace(/\s*Below is a rendering.*$/i, '') || 'not well-formed XML';
    }
  }
  return null;
}

/** The attributes of a pasted SAML assertion (or its AttributeStatement), keyed by Name and FriendlyName. */
export function parseSamlAttributes(text: string, parser?: XmlParser): SamlAttributesResult {
  let xml = text.trim();
  if (!xml) return { ok: false, error: 'Paste a SAML assertion or its <saml:AttributeStatement> section.' };
  if (!xml.startsWith('<')) {
    const decoded = decodeBase64Xml(xml);
    if (!decoded) return { ok: false, error: 'This is neither XML nor a base64-encoded SAML response.' };
    xml = decoded;
  }
  xml = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { ok: false, error: 'XML with a DOCTYPE or entities is not accepted.' };

  const p = parser ?? (typeof DOMParser !== 'undefined' ? new DOMParser() : null);
  if (!p) return { ok: false, error: 'No XML parser is available here.' };
  let doc: XNode;
  try {
    doc = p.parseFromString(wrap(xml), 'application/xml') as XNode;
  } catch (e) {
    return { ok: false, error: `The XML could not be read: ${String((e as Error)?.message ?? e).split('\n')[0]}` };
  }
  const problem = parseError(doc);
  if (problem) return { ok: false, error: `The XML could not be read: ${problem}` };

  const attributes: Record<string, string[]> = Object.create(null);
  let count = 0;
  let encrypted = 0;
  const add = (key: string, values: string[]) => {
    (attributes[key] ??= []).push(...values);
  };
  for (const el of elements(doc)) {
    const local = localNameOf(el);
    if (local === 'EncryptedAttribute') {
      encrypted++;
      continue;
    }
    if (local !== 'Attribute') continue;
    const parent = el.parentNode ? localNameOf(el.parentNode) : '';
    if (parent !== 'AttributeStatement' && parent !== 'pasted') continue; // e.g. <samlp:AttributeQuery>
    const name = (el.getAttribute?.('Name') || el.getAttribute?.('AttributeName') || '').trim();
    if (!name) continue;
    if (++count > MAX_ATTRIBUTES) return { ok: false, error: `More than ${MAX_ATTRIBUTES} attributes; paste a smaller section.` };
    const values = childElements(el, 'AttributeValue')
      .filter((v) => !['true', '1'].includes((xmlAttr(v, 'nil') ?? '').trim()))
      .map((v) => (v.textContent ?? '').trim());
    add(name, values);
    const friendly = (el.getAttribute?.('FriendlyName') ?? '').trim();
    if (friendly && friendly !== name) add(friendly, values);
  }
  if (count === 0) {
    return {
      ok: false,
      error: encrypted
        ? 'The attributes are encrypted; paste them decrypted (your IdP’s SAML tracer shows them).'
        : 'No <saml:Attribute> elements were found.',
    };
  }
  return { ok: true, attributes, count, encrypted };
}
