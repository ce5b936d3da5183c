/**
 * Decryption of a saml:EncryptedAssertion (XML Encryption 1.1) with the portal's SP encryption
 * keys, for the portal's own checks (./checks.ts); independent of the library's SAML engine, which
 * decrypts with its own code. Pure: node:crypto and the xmldom element it is given.
 *
 * Accepted: content AES-128/192/256 in GCM or CBC, its key in the EncryptedData's KeyInfo; key transport RSA-OAEP (`rsa-oaep-mgf1p`, or
 * xmlenc11 `rsa-oaep` with SHA-1 digest and MGF1-SHA1, the only OAEP both validators implement).
 * RSA 1.5 key transport and Triple-DES are refused as weak. What the algorithms are is visible to
 * anyone and is named in the refusal; anything that depends on the ciphertext (a wrong key, bad
 * padding, a bad tag, a result that is not one assertion) throws the one {@link DecryptionFailed},
 * so the answer cannot serve as a padding or parsing oracle.
 */
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import type { Element as XmlElement, Node as XmlNode } from '@xmldom/xmldom';

const XENC = 'http://www.w3.org/2001/04/xmlenc#';
const XENC11 = 'http://www.w3.org/2009/xmlenc11#';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

const CONTENT: Record<string, { mode: 'gcm' | 'cbc'; keyBytes: number }> = {
  [`${XENC}aes128-cbc`]: { mode: 'cbc', keyBytes: 16 },
  [`${XENC}aes192-cbc`]: { mode: 'cbc', keyBytes: 24 },
  [`${XENC}aes256-cbc`]: { mode: 'cbc', keyBytes: 32 },
  [`${XENC11}aes128-gcm`]: { mode: 'gcm', keyBytes: 16 },
  [`${XENC11}aes192-gcm`]: { mode: 'gcm', keyBytes: 24 },
  [`${XENC11}aes256-gcm`]: { mode: 'gcm', keyBytes: 32 },
};
const WEAK = new Set([`${XENC}rsa-1_5`, `${XENC}tripledes-cbc`]);
const OAEP = new Set([`${XENC}rsa-oaep-mgf1p`, `${XENC11}rsa-oaep`]);
const SHA1_DIGEST = `${DS}sha1`;
const MGF1_SHA1 = `${XENC11}mgf1sha1`;
/** More wrapped keys than this (one per recipient) is not a real IdP's answer. */
const MAX_ENCRYPTED_KEYS = 4;

/** A failure that depends on the ciphertext: every one is reported the same way. */
export class DecryptionFailed extends Error {
  constructor() {
    super('the encrypted assertion could not be decrypted');
    this.name = 'DecryptionFailed';
  }
}

/** A refusal of what the sender chose (algorithms, structure), which is not secret. */
export class EncryptionRefused extends Error {
  constructor(
    readonly reason: 'weak_algorithm' | 'encryption_unsupported' | 'malformed_response',
    message: string,
  ) {
    super(message);
    this.name = 'EncryptionRefused';
  }
}

const elements = (parent: XmlElement, ns: string, localName: string): XmlElement[] => {
  const out: XmlElement[] = [];
  for (let n: XmlNode | null = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as XmlElement).namespaceURI === ns && (n as XmlElement).localName === localName) out.push(n as XmlElement);
  }
  return out;
};
const only = (parent: XmlElement, ns: string, localName: string): XmlElement => {
  const found = elements(parent, ns, localName);
  if (found.length !== 1) throw new EncryptionRefused('malformed_response', `expected one ${localName} in ${parent.localName}, found ${found.length}`);
  return found[0];
};
const algorithmOf = (el: XmlElement): string => only(el, XENC, 'EncryptionMethod').getAttribute('Algorithm') ?? '';
const cipherValue = (el: XmlElement): Buffer => {
  const text = only(only(el, XENC, 'CipherData'), XENC, 'CipherValue').textContent?.replace(/\s+/g, '') ?? '';
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new EncryptionRefused('malformed_response', 'a CipherValue is not base64');
  return Buffer.from(text, 'base64');
};

function checkKeyTransport(encryptedKey: XmlElement): void {
  const method = only(encryptedKey, XENC, 'EncryptionMethod');
  const alg = method.getAttribute('Algorithm') ?? '';
  if (WEAK.has(alg)) throw new EncryptionRefused('weak_algorithm', `key transport ${alg} is not accepted; use RSA-OAEP`);
  if (!OAEP.has(alg)) throw new EncryptionRefused('encryption_unsupported', `key transport ${JSON.stringify(alg.slice(0, 100))} is not supported; use RSA-OAEP`);
  const digest = elements(method, DS, 'DigestMethod')[0]?.getAttribute('Algorithm') ?? SHA1_DIGEST;
  const mgf = elements(method, XENC11, 'MGF')[0]?.getAttribute('Algorithm') ?? MGF1_SHA1;
  if (digest !== SHA1_DIGEST || mgf !== MGF1_SHA1) {
    throw new EncryptionRefused('encryption_unsupported', 'RSA-OAEP is supported with the SHA-1 digest and MGF1-SHA1 (the IdP default)');
  }
  if (elements(method, XENC, 'OAEPparams').length) throw new EncryptionRefused('encryption_unsupported', 'RSA-OAEP with OAEPparams is not supported');
}

/** Where each XML Encryption, signature and assertion element may be, by local name, in an encrypted response. */
const EXPECTED_NS: Record<string, string> = {
  EncryptedAssertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  Assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  EncryptedData: XENC,
  EncryptedKey: XENC,
  CipherData: XENC,
  CipherValue: XENC,
  CipherReference: XENC,
  EncryptionMethod: XENC,
  ReferenceList: XENC,
  KeyInfo: DS,
  Signature: DS,
};

/**
 * The whole encrypted response's shape, before anything is decrypted: the library's engine finds
 * XML Encryption elements anywhere in the document by local name alone, so a look-alike (another
 * namespace, or a second EncryptedData or CipherValue elsewhere) could make it decrypt something
 * else than the portal does. Every such element must be in its own namespace, and there must be
 * exactly one EncryptedData and one CipherValue per encrypted item, all inside the assertion.
 */
export function checkEncryptedShape(root: XmlElement, encrypted: XmlElement, parts: { data: XmlElement; keys: XmlElement[] }): void {
  const inside = (el: XmlElement) => {
    for (let n: XmlNode | null = el; n; n = n.parentNode) if (n === encrypted) return true;
    return false;
  };
  let encryptedData = 0;
  let cipherValues = 0;
  let encryptedKeys = 0;
  const all = root.getElementsByTagNameNS('*', '*');
  for (let i = 0; i < all.length; i++) {
    const el = all[i];
    const ns = EXPECTED_NS[el.localName ?? ''];
    if (ns && el.namespaceURI !== ns) throw new EncryptionRefused('malformed_response', `a ${el.localName} element in another namespace (${String(el.namespaceURI).slice(0, 100)})`);
    if (el.localName === 'EncryptedData') encryptedData++;
    if (el.localName === 'EncryptedKey') encryptedKeys++;
    if (el.localName === 'CipherValue') {
      cipherValues++;
      if (!inside(el)) throw new EncryptionRefused('malformed_response', 'encrypted content outside the encrypted assertion');
    }
    if (el.localName === 'CipherReference') throw new EncryptionRefused('encryption_unsupported', 'a CipherReference (ciphertext elsewhere) is not supported');
  }
  if (encryptedData !== 1) throw new EncryptionRefused('malformed_response', `the response holds ${encryptedData} EncryptedData elements; exactly one is accepted`);
  if (encryptedKeys !== parts.keys.length || cipherValues !== 1 + parts.keys.length) {
    throw new EncryptionRefused('malformed_response', 'encrypted content or keys outside their places');
  }
  const stray = Array.from(encrypted.childNodes).filter((n) => n.nodeType === 1 && n !== parts.data);
  if (stray.length) throw new EncryptionRefused('malformed_response', 'the encrypted assertion holds more than its EncryptedData');
}

/** The algorithms of an EncryptedAssertion, checked before any decryption. Returns its parts. */
export function inspectEncryptedAssertion(encrypted: XmlElement): { data: XmlElement; keys: XmlElement[]; content: { mode: 'gcm' | 'cbc'; keyBytes: number } } {
  const data = only(encrypted, XENC, 'EncryptedData');
  const type = data.getAttribute('Type');
  if (type && type !== `${XENC}Element`) throw new EncryptionRefused('malformed_response', 'EncryptedData must encrypt an element');
  const alg = algorithmOf(data);
  if (WEAK.has(alg)) throw new EncryptionRefused('weak_algorithm', `content encryption ${alg} is not accepted; use AES-GCM or AES-CBC`);
  const content = CONTENT[alg];
  if (!content) throw new EncryptionRefused('encryption_unsupported', `content encryption ${JSON.stringify(alg.slice(0, 100))} is not supported; use AES-GCM or AES-CBC`);
  // The wrapped key, inside the data's KeyInfo (where Okta, Entra ID, AD FS and PingFederate put
  // it). Beside the data, referenced by a RetrievalMethod, the library's engine cannot read it, and
  // both validators must accept: refused with a clear reason.
  if (elements(encrypted, XENC, 'EncryptedKey').length) {
    throw new EncryptionRefused('encryption_unsupported', 'the EncryptedKey must be inside the EncryptedData’s KeyInfo, not beside it');
  }
  const keyInfo = elements(data, DS, 'KeyInfo')[0];
  const keys = keyInfo ? elements(keyInfo, XENC, 'EncryptedKey') : [];
  if (!keys.length) throw new EncryptionRefused('malformed_response', 'the encrypted assertion carries no EncryptedKey');
  if (keys.length > MAX_ENCRYPTED_KEYS) throw new EncryptionRefused('malformed_response', 'the encrypted assertion carries too many EncryptedKeys');
  for (const k of keys) checkKeyTransport(k);
  return { data, keys, content };
}

function unwrap(encryptedKey: XmlElement, privateKeys: KeyObject[], keyBytes: number): Buffer | null {
  const wrapped = cipherValue(encryptedKey);
  for (const key of privateKeys) {
    try {
      const cek = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
      if (cek.length === keyBytes) return cek;
    } catch {
      // another key, or not ours
    }
  }
  return null;
}

function decryptContent(cipher: Buffer, cek: Buffer, mode: 'gcm' | 'cbc'): Buffer {
  const bits = cek.length * 8;
  if (mode === 'gcm') {
    if (cipher.length < 12 + 16) throw new DecryptionFailed();
    const d = createDecipheriv(`aes-${bits}-gcm` as 'aes-256-gcm', cek, cipher.subarray(0, 12));
    d.setAuthTag(cipher.subarray(cipher.length - 16));
    return Buffer.concat([d.update(cipher.subarray(12, cipher.length - 16)), d.final()]);
  }
  if (cipher.length < 32 || cipher.length % 16 !== 0) throw new DecryptionFailed();
  const d = createDecipheriv(`aes-${bits}-cbc`, cek, cipher.subarray(0, 16));
  d.setAutoPadding(false);
  const padded = Buffer.concat([d.update(cipher.subarray(16)), d.final()]);
  // XML Encryption padding (ISO 10126): the last byte counts the padding, the rest is arbitrary.
  const pad = padded[padded.length - 1];
  if (pad < 1 || pad > 16) throw new DecryptionFailed();
  return padded.subarray(0, padded.length - pad);
}

/**
 * The decrypted content of an EncryptedAssertion as UTF-8 text. Throws EncryptionRefused for the
 * sender's choices and DecryptionFailed for everything that depends on the ciphertext.
 */
export function decryptAssertionXml(encrypted: XmlElement, privateKeys: KeyObject[]): { xml: string; keyIndex: number } {
  const { data, keys, content } = inspectEncryptedAssertion(encrypted);
  try {
    for (const k of keys) {
      for (let i = 0; i < privateKeys.length; i++) {
        const cek = unwrap(k, [privateKeys[i]], content.keyBytes);
        if (!cek) continue;
        const plain = decryptContent(cipherValue(data), cek, content.mode);
        return { xml: new TextDecoder('utf-8', { fatal: true }).decode(plain), keyIndex: i };
      }
    }
  } catch (e) {
    if (e instanceof EncryptionRefused) throw e;
    throw new DecryptionFailed();
  }
  throw new DecryptionFailed();
}
