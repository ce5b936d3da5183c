import { describe, expect, it } from 'vitest';
import { createIdpKeyPair, encryptAssertion, NS, type BuildResponseOptions, type EncryptionOptions, TestSamlIdp } from '@/lib/demo/saml-idp';
import { checkSamlResponse, type SamlExpectations, SamlRejection } from './checks';
import { EngineRefusal, engineValidate } from './engine';

/**
 * Encrypted assertions: decrypted with the SP's encryption keys, then put through every check,
 * by both validators (the portal's checks and the library's SAML engine).
 */
const SP_ENTITY_ID = 'https://portal.test/.well-known/sp-metadata';
const ACS_URL = 'https://portal.test/api/oauth/saml';
const REQUEST_ID = '_request-enc-1';
const idp = new TestSamlIdp({ entityId: 'https://idp.test/metadata', ssoUrl: 'https://idp.test/sso' });
const sp = createIdpKeyPair({ commonName: 'sp-encryption.test' });
const spNext = createIdpKeyPair({ commonName: 'sp-encryption-next.test' });
const stranger = createIdpKeyPair({ commonName: 'someone-else.test' });

const options = (overrides: Partial<BuildResponseOptions> = {}): BuildResponseOptions => ({
  acsUrl: ACS_URL,
  audience: SP_ENTITY_ID,
  inResponseTo: REQUEST_ID,
  nameId: 'ada@example.com',
  attributes: { email: 'ada@example.com', groups: ['Engineering', 'Admins'] },
  encryptTo: { certPem: sp.certPem },
  ...overrides,
});
const expectations = (overrides: Partial<SamlExpectations> = {}): SamlExpectations => ({
  spEntityId: SP_ENTITY_ID,
  acsUrl: ACS_URL,
  idpEntityId: idp.entityId,
  certificates: [idp.certPem],
  expectedInResponseTo: REQUEST_ID,
  decryptionKeys: [sp.privateKeyPem],
  ...overrides,
});
const b64 = (xml: string) => Buffer.from(xml).toString('base64');

function reasonOf(samlResponse: string, exp: SamlExpectations = expectations()): string {
  try {
    checkSamlResponse(samlResponse, exp);
    return 'accepted';
  } catch (e) {
    if (e instanceof SamlRejection) return e.reason;
    throw e;
  }
}

const engine = (xml: string, key = sp.privateKeyPem) =>
  engineValidate(xml, { certificates: [idp.certPem], audience: SP_ENTITY_ID, inResponseTo: REQUEST_ID, decryptionKeyPem: key });

describe('encrypted assertions', () => {
  const contents: NonNullable<EncryptionOptions['content']>[] = ['aes256-gcm', 'aes128-gcm', 'aes256-cbc', 'aes128-cbc'];
  const shapes: [string, Partial<BuildResponseOptions>][] = [
    ['signed assertion, unsigned response', {}],
    ['unsigned assertion, signed response', { signAssertion: false, signResponse: true }],
    ['both signed', { signResponse: true }],
  ];

  it.each(contents.flatMap((c) => shapes.map(([name, shape]) => [c, name, shape] as const)))('%s, %s: both validators accept and read the assertion', async (content, _, shape) => {
    const xml = idp.buildResponseXml(options({ ...shape, encryptTo: { certPem: sp.certPem, content } }));
    expect(xml).not.toContain('ada@example.com');
    const checked = checkSamlResponse(b64(xml), expectations());
    expect(checked).toMatchObject({ nameId: 'ada@example.com', decryptedWithKey: 0, attributes: { groups: ['Engineering', 'Admins'] } });
    await expect(engine(xml)).resolves.toMatchObject({ profile: { email: 'ada@example.com', groups: ['Engineering', 'Admins'] } });
  });

  it('refuses an EncryptedKey placed beside the EncryptedData, which the engine cannot read, with its own reason', async () => {
    const xml = idp.buildResponseXml(options({ encryptTo: { certPem: sp.certPem, keyPlacement: 'sibling' } }));
    expect(reasonOf(b64(xml))).toBe('encryption_unsupported');
    await expect(engine(xml)).rejects.toBeInstanceOf(EngineRefusal);
  });

  it('during a rollover both published keys decrypt, and the checks say which one did', () => {
    const toNext = idp.buildResponse(options({ encryptTo: { certPem: spNext.certPem } }));
    expect(checkSamlResponse(toNext, expectations({ decryptionKeys: [sp.privateKeyPem, spNext.privateKeyPem] })).decryptedWithKey).toBe(1);
    expect(reasonOf(toNext, expectations({ decryptionKeys: [sp.privateKeyPem] }))).toBe('decryption_failed');
  });

  it('refuses RSA 1.5 and Triple-DES as weak, and OAEP with SHA-256 as unsupported — before decrypting anything', () => {
    expect(reasonOf(idp.buildResponse(options({ encryptTo: { certPem: sp.certPem, keyTransport: 'rsa-1_5' } })))).toBe('weak_algorithm');
    expect(reasonOf(idp.buildResponse(options({ encryptTo: { certPem: sp.certPem, content: 'tripledes-cbc' } })))).toBe('weak_algorithm');
    expect(reasonOf(idp.buildResponse(options({ encryptTo: { certPem: sp.certPem, keyTransport: 'rsa-oaep-sha256' } })))).toBe('encryption_unsupported');
  });

  it('refuses an assertion encrypted to another key (both validators)', async () => {
    const xml = idp.buildResponseXml(options({ encryptTo: { certPem: stranger.certPem } }));
    expect(reasonOf(b64(xml))).toBe('decryption_failed');
    await expect(engine(xml)).rejects.toBeInstanceOf(EngineRefusal);
  });

  it('refuses an unsigned encrypted assertion inside an unsigned response (anyone can encrypt to the public key)', () => {
    expect(reasonOf(idp.buildResponse(options({ signAssertion: false })))).toBe('signature_missing');
    // With CBC the refusal reads like every other one before the signature verified.
    expect(reasonOf(idp.buildResponse(options({ signAssertion: false, encryptTo: { certPem: sp.certPem, content: 'aes256-cbc' } })))).toBe('decryption_failed');
  });

  it('refuses two encrypted assertions, and an encrypted beside a plain one', () => {
    const one = idp.buildAssertionXml(options());
    const twice = idp.buildResponseXml(options()).replace('</samlp:Response>', `${encryptAssertion(one, { certPem: sp.certPem })}</samlp:Response>`);
    expect(reasonOf(b64(twice))).toBe('multiple_assertions');
    const beside = idp.buildResponseXml(options()).replace('</samlp:Response>', `${one}</samlp:Response>`);
    expect(reasonOf(b64(beside))).toBe('multiple_assertions');
  });

  it('refuses wrapping around an encrypted assertion: the signed response moved aside, a forged one in its place', async () => {
    // The attacker holds a genuine signed response for their own account and encrypts a forged,
    // unsigned assertion for the victim to the SP's public key.
    const genuine = idp.buildResponseXml(options({ nameId: 'mallory@example.com', attributes: { email: 'mallory@example.com' }, signAssertion: false, signResponse: true }));
    const forged = encryptAssertion(
      idp.buildAssertionXml(options({ nameId: 'victim@example.com', attributes: { email: 'victim@example.com' }, signAssertion: false })),
      { certPem: sp.certPem },
    );
    // Shape 1: the genuine response kept as a whole inside Extensions of a new unsigned Response.
    const wrapped1 =
      `<samlp:Response xmlns:samlp="${NS.samlp}" xmlns:saml="${NS.saml}" ID="_outer" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${ACS_URL}" InResponseTo="${REQUEST_ID}">` +
      `<saml:Issuer>${idp.entityId}</saml:Issuer><samlp:Extensions>${genuine.replace(/^<\?xml[^>]*>/, '')}</samlp:Extensions>` +
      `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${forged}</samlp:Response>`;
    // Shape 2: the genuine signed Response with its EncryptedAssertion swapped for the forged one.
    const wrapped2 = genuine.replace(/<saml:EncryptedAssertion[\s\S]*<\/saml:EncryptedAssertion>/, forged);
    for (const xml of [wrapped1, wrapped2]) {
      const reason = reasonOf(b64(xml));
      expect(reason).not.toBe('accepted');
      expect(['multiple_assertions', 'signature_invalid', 'signature_missing', 'malformed_response']).toContain(reason);
    }
  });

  it('refuses look-alike encryption elements, which would make the engine decrypt another assertion than the checks', async () => {
    // Mallory's own fresh response, and a victim's captured encrypted assertion.
    const mallory = idp.buildResponseXml(options({ nameId: 'mallory@example.com', attributes: { email: 'mallory@example.com' } }));
    const victim = idp.buildResponseXml(options({ nameId: 'ceo@example.com', attributes: { email: 'ceo@example.com', groups: ['Admins'] } }));
    const victimData = /<xenc:EncryptedData[\s\S]*<\/xenc:EncryptedData>/.exec(victim)![0];
    // 1. The victim's EncryptedData renamed into another namespace, before Mallory's real one.
    const renamed = victimData.replace(`xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"`, 'xmlns:xenc="urn:not-xenc"');
    const shadowed = mallory.replace('<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">', (m) => m + renamed);
    // Without the shape check the engine alone reads the victim here, while the checks read Mallory.
    await expect(engine(shadowed)).resolves.toMatchObject({ profile: { email: 'ceo@example.com' } });
    expect(reasonOf(b64(shadowed))).toBe('malformed_response');
    // 2. A correctly namespaced second EncryptedData elsewhere in the response.
    const extensions = mallory.replace('<samlp:Status>', `<samlp:Extensions>${victimData}</samlp:Extensions><samlp:Status>`);
    expect(reasonOf(b64(extensions))).toBe('malformed_response');
    // 3. A stray CipherValue before the wrapped key.
    const stray = mallory.replace('<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">', (m) => `${m}<x:CipherValue xmlns:x="urn:x">AAAA</x:CipherValue>`);
    expect(reasonOf(b64(stray))).toBe('malformed_response');
    // The genuine response still passes.
    expect(checkSamlResponse(b64(mallory), expectations()).nameId).toBe('mallory@example.com');
  });

  it('answers every tampering of a CBC ciphertext the same way: no padding or parsing oracle', () => {
    const xml = idp.buildResponseXml(options({ encryptTo: { certPem: sp.certPem, content: 'aes256-cbc' } }));
    const [, cipherB64] = /<xenc:CipherValue>([^<]+)<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>/.exec(xml)!;
    const cipher = Buffer.from(cipherB64, 'base64');
    const reasons = new Set<string>();
    // Flip bits of the last byte of every block's predecessor (the padding byte for the last
    // block, a character of the XML for the others), and a few whole-block changes.
    const variants: Buffer[] = [];
    for (let block = 0; block + 16 < cipher.length; block += 16) {
      for (const mask of [0x01, 0x80, 0x3c]) {
        const v = Buffer.from(cipher);
        v[block + 15] ^= mask;
        variants.push(v);
      }
    }
    variants.push(cipher.subarray(0, cipher.length - 16), Buffer.concat([cipher, cipher.subarray(16, 32)]));
    for (const v of variants) {
      reasons.add(reasonOf(b64(xml.replace(cipherB64, v.toString('base64')))));
    }
    expect([...reasons]).toEqual(['decryption_failed']);
  });

  it('a connection that requires encryption refuses a plain assertion; a plain one passes where it is not required', () => {
    const plain = idp.buildResponse(options({ encryptTo: undefined }));
    expect(reasonOf(plain, expectations({ requireEncryption: true }))).toBe('assertion_not_encrypted');
    expect(reasonOf(plain)).toBe('accepted');
    expect(reasonOf(idp.buildResponse(options()), expectations({ requireEncryption: true }))).toBe('accepted');
  });

  it('an encrypted assertion without SP keys configured is refused as unsupported', () => {
    expect(reasonOf(idp.buildResponse(options()), expectations({ decryptionKeys: [] }))).toBe('encrypted_assertion_unsupported');
  });
});
