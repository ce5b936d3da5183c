import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, createIdpKeyPair, NS, TestSamlIdp, type IdpKeyPair } from '@/e2e/idp/saml-idp';
import { AppError } from '../../errors';
import { MAX_METADATA_BYTES, parseIdpMetadata } from './metadata';

const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

// Key generation is slow-ish: make the few key pairs once.
const good = createIdpKeyPair({ commonName: 'idp.example.com' });
const other = createIdpKeyPair({ commonName: 'enc.example.com' });
const expired = createIdpKeyPair({ commonName: 'old.example.com', notBefore: daysAgo(30), validDays: 1 });
const expired2 = createIdpKeyPair({ commonName: 'older.example.com', notBefore: daysAgo(60), validDays: 1 });
const six = Array.from({ length: 6 }, (_, i) => createIdpKeyPair({ commonName: `k${i}.example.com` }));

const ENTITY = 'https://idp.example.com/metadata';
const REDIRECT_URL = 'https://idp.example.com/sso/redirect';
const POST_URL = 'https://idp.example.com/sso/post';

type Key = { cert: string; use?: 'signing' | 'encryption' | null };

/** IdP metadata written by hand, so each part can be left out or changed. */
function idpMetadata(opts: {
  entityId?: string | null;
  keys?: Key[];
  sso?: { binding: string; location: string }[];
  descriptor?: 'IDPSSODescriptor' | 'SPSSODescriptor';
  extraRootAttrs?: string;
} = {}): string {
  const keys = opts.keys ?? [{ cert: good.certBase64, use: 'signing' }];
  const sso = opts.sso ?? [
    { binding: BINDING_HTTP_POST, location: POST_URL },
    { binding: BINDING_HTTP_REDIRECT, location: REDIRECT_URL },
  ];
  const descriptor = opts.descriptor ?? 'IDPSSODescriptor';
  const entityAttr = opts.entityId === null ? '' : ` entityID="${opts.entityId ?? ENTITY}"`;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>` +
    `<md:EntityDescriptor xmlns:md="${NS.md}" xmlns:ds="${NS.ds}"${entityAttr}${opts.extraRootAttrs ?? ''}>` +
    `<md:${descriptor} protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
    keys
      .map(
        (k) =>
          `<md:KeyDescriptor${k.use ? ` use="${k.use}"` : ''}><ds:KeyInfo><ds:X509Data>` +
          `<ds:X509Certificate>${k.cert}</ds:X509Certificate>` +
          `</ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
      )
      .join('') +
    `<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>` +
    (descriptor === 'IDPSSODescriptor'
      ? sso.map((s) => `<md:SingleSignOnService Binding="${s.binding}" Location="${s.location}"/>`).join('')
      : `<md:AssertionConsumerService Binding="${BINDING_HTTP_POST}" Location="https://sp.example.com/acs" index="0"/>`) +
    `</md:${descriptor}>` +
    `</md:EntityDescriptor>`
  );
}

/** What parseIdpMetadata refused with; fails the test when it did not refuse. */
function refusal(xml: string, path?: string): AppError {
  try {
    parseIdpMetadata(xml, path);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('parseIdpMetadata accepted metadata it should refuse');
}

const fingerprintOf = (k: IdpKeyPair) => new X509Certificate(k.certPem).fingerprint256;
const notAfterOf = (k: IdpKeyPair) => new Date(new X509Certificate(k.certPem).validTo).toISOString();

describe('parseIdpMetadata: accepted metadata', () => {
  it('reads entity ID, the HTTP-Redirect SSO URL (preferred over POST) and the signing certificate', () => {
    const parsed = parseIdpMetadata(idpMetadata());
    expect(parsed.entityId).toBe(ENTITY);
    expect(parsed.ssoUrl).toBe(REDIRECT_URL);
    expect(parsed.certificates).toHaveLength(1);
    const [cert] = parsed.certificates;
    expect(cert.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(cert.fingerprintSha256).toBe(fingerprintOf(good));
    expect(cert.notAfter).toBe(notAfterOf(good));
    expect(new Date(cert.notAfter).toISOString()).toBe(cert.notAfter);
    expect(Date.parse(cert.notAfter)).toBeGreaterThan(Date.now() + 300 * DAY);
    expect(cert.pem).toContain('-----BEGIN CERTIFICATE-----');
    expect(new X509Certificate(cert.pem).fingerprint256).toBe(cert.fingerprintSha256);
  });

  it('reads the metadata the test IdP publishes', () => {
    const idp = new TestSamlIdp({ entityId: 'https://idp.test.example/md', ssoUrl: 'https://idp.test.example/sso', keyPair: good });
    expect(parseIdpMetadata(idp.metadataXml())).toMatchObject({
      entityId: 'https://idp.test.example/md',
      ssoUrl: 'https://idp.test.example/sso',
      certificates: [{ fingerprintSha256: fingerprintOf(good), notAfter: notAfterOf(good) }],
    });
  });

  it.each([
    ['only HTTP-POST', [{ binding: BINDING_HTTP_POST, location: POST_URL }], POST_URL],
    ['only HTTP-Redirect', [{ binding: BINDING_HTTP_REDIRECT, location: REDIRECT_URL }], REDIRECT_URL],
    ['Redirect listed first', [{ binding: BINDING_HTTP_REDIRECT, location: REDIRECT_URL }, { binding: BINDING_HTTP_POST, location: POST_URL }], REDIRECT_URL],
    [
      'an unsupported binding before POST',
      [{ binding: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP', location: 'https://idp.example.com/soap' }, { binding: BINDING_HTTP_POST, location: POST_URL }],
      POST_URL,
    ],
  ])('picks the SSO URL with %s', (_n, sso, expected) => {
    expect(parseIdpMetadata(idpMetadata({ sso })).ssoUrl).toBe(expected);
  });

  // Finding: a second HTTP-POST location `javascript://localhost/%0A…` was accepted (only the first
  // was checked) and the SSO library, which keeps the last one, served it as a form action.
  it.each([
    ['a second POST location with javascript:', [{ binding: BINDING_HTTP_POST, location: POST_URL }, { binding: BINDING_HTTP_POST, location: 'javascript://localhost/%0Aalert(document.domain)' }]],
    ['a Redirect location with javascript:', [{ binding: BINDING_HTTP_REDIRECT, location: 'javascript:alert(1)' }, { binding: BINDING_HTTP_POST, location: POST_URL }]],
    ['a data: location', [{ binding: BINDING_HTTP_POST, location: 'data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;' }]],
    ['a JAVASCRIPT: location in capitals', [{ binding: BINDING_HTTP_POST, location: 'JAVASCRIPT://localhost/%0Aalert(1)' }]],
    ['a location with a tab in its scheme', [{ binding: BINDING_HTTP_POST, location: 'java&#9;script://localhost/%0Aalert(1)' }]],
    ['plain http on a public host', [{ binding: BINDING_HTTP_POST, location: 'http://idp.example.com/sso' }]],
    ['plain http on localhost outside development', [{ binding: BINDING_HTTP_POST, location: 'http://localhost/sso' }]],
    ['credentials in the URL', [{ binding: BINDING_HTTP_POST, location: 'https://user:pw@idp.example.com/sso' }]],
  ])('refuses metadata with %s, naming the location', (_n, sso) => {
    const e = refusal(idpMetadata({ sso }));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/SingleSignOnService location .* (must be an https:\/\/ URL|must not contain credentials|without spaces or control characters)/);
  });

  it('refuses a SingleLogoutService location that is not https', () => {
    const xml = idpMetadata().replace(
      '<md:NameIDFormat>',
      `<md:SingleLogoutService Binding="${BINDING_HTTP_REDIRECT}" Location="javascript://localhost/%0Aalert(1)"/><md:NameIDFormat>`,
    );
    expect(refusal(xml).message).toMatch(/SingleLogoutService location/);
  });

  it('accepts http on a loopback host only for a development instance, and keeps the normalised value', () => {
    const sso = [{ binding: BINDING_HTTP_POST, location: 'http://127.0.0.1:4000/sso' }];
    expect(() => parseIdpMetadata(idpMetadata({ sso }))).toThrow(/https/);
    const parsed = parseIdpMetadata(idpMetadata({ sso }), 'metadataXml', new Date(), { allowLoopbackHttp: true });
    expect(parsed.bindings.ssoPostUrl).toBe('http://127.0.0.1:4000/sso');
    expect(parseIdpMetadata(idpMetadata({ sso: [{ binding: BINDING_HTTP_POST, location: 'HTTPS://IDP.Example.com/a/../sso' }] })).ssoUrl).toBe(
      'https://idp.example.com/sso',
    );
  });

  it('finds the IdP inside an EntitiesDescriptor, skipping an SP entity before it', () => {
    const inner = idpMetadata().replace(/^<\?xml[^>]*\?>/, '');
    const sp = idpMetadata({ entityId: 'https://sp.example.com/metadata', descriptor: 'SPSSODescriptor' }).replace(/^<\?xml[^>]*\?>/, '');
    const xml = `<?xml version="1.0"?><md:EntitiesDescriptor xmlns:md="${NS.md}" Name="federation">${sp}${inner}</md:EntitiesDescriptor>`;
    const parsed = parseIdpMetadata(xml);
    expect(parsed.entityId).toBe(ENTITY);
    expect(parsed.ssoUrl).toBe(REDIRECT_URL);
    expect(parsed.certificates.map((c) => c.fingerprintSha256)).toEqual([fingerprintOf(good)]);
  });

  it('refuses metadata of too many or too deeply nested elements, before any lookup walks it', () => {
    // Nested EntityDescriptors around many small elements: finding the IdP's looked below each one.
    const nested = `<md:EntitiesDescriptor xmlns:md="${NS.md}">${'<md:EntityDescriptor>'.repeat(100)}${'<a/>'.repeat(5000)}${'</md:EntityDescriptor>'.repeat(100)}</md:EntitiesDescriptor>`;
    expect(refusal(nested).message).toMatch(/nested more than 32 deep/);
    const wide = idpMetadata().replace('</md:EntityDescriptor>', `<md:Extensions>${'<a/>'.repeat(20_001)}</md:Extensions></md:EntityDescriptor>`);
    expect(refusal(wide).message).toMatch(/more than 20,000 elements/);
    // A stray quote in an unquoted attribute (the parser only warns) hid what followed from the text scan.
    const hidden = idpMetadata().replace('</md:EntityDescriptor>', `<md:Extensions x=1"y>${'<md:KeyDescriptor>'.repeat(40)}${'</md:KeyDescriptor>'.repeat(40)}</md:Extensions></md:EntityDescriptor>`);
    expect(refusal(hidden).message).toMatch(/nested more than 32 deep/);
  });

  it('ignores a use="encryption" key and keeps the signing one', () => {
    const parsed = parseIdpMetadata(
      idpMetadata({ keys: [{ cert: other.certBase64, use: 'encryption' }, { cert: good.certBase64, use: 'signing' }] }),
    );
    expect(parsed.certificates.map((c) => c.fingerprintSha256)).toEqual([fingerprintOf(good)]);
  });

  it('treats a KeyDescriptor without use as a signing key', () => {
    const parsed = parseIdpMetadata(idpMetadata({ keys: [{ cert: good.certBase64, use: null }] }));
    expect(parsed.certificates.map((c) => c.fingerprintSha256)).toEqual([fingerprintOf(good)]);
  });

  it('keeps both certificates during a rollover and lists a repeated one once', () => {
    const parsed = parseIdpMetadata(
      idpMetadata({
        keys: [
          { cert: good.certBase64, use: 'signing' },
          { cert: other.certBase64, use: 'signing' },
          { cert: good.certBase64, use: 'signing' },
        ],
      }),
    );
    expect(parsed.certificates.map((c) => c.fingerprintSha256).sort()).toEqual([fingerprintOf(good), fingerprintOf(other)].sort());
  });

  it('accepts base64 wrapped over several lines', () => {
    const wrapped = good.certBase64.match(/.{1,64}/g)!.join('\n      ');
    const parsed = parseIdpMetadata(idpMetadata({ keys: [{ cert: `\n      ${wrapped}\n    `, use: 'signing' }] }));
    expect(parsed.certificates[0].fingerprintSha256).toBe(fingerprintOf(good));
  });

  it('keeps up to 5 valid signing certificates, however many expired ones are listed beside them', () => {
    const keys = [good, ...six.slice(0, 4), expired, expired2].map((k) => ({ cert: k.certBase64, use: 'signing' as const }));
    expect(parseIdpMetadata(idpMetadata({ keys })).certificates).toHaveLength(5);
  });

  it('drops an expired certificate when a valid one is there too', () => {
    const parsed = parseIdpMetadata(
      idpMetadata({ keys: [{ cert: expired.certBase64, use: 'signing' }, { cert: good.certBase64, use: 'signing' }] }),
    );
    expect(parsed.certificates.map((c) => c.fingerprintSha256)).toEqual([fingerprintOf(good)]);
  });
});

describe('parseIdpMetadata: refused metadata', () => {
  const withoutDecl = (xml: string) => xml.replace(/^<\?xml[^>]*\?>/, '');

  it.each<[string, () => string, RegExp]>([
    ['plain text', () => 'this is not XML at all', /XML/i],
    ['JSON', () => '{"entityID": "https://idp.example.com"}', /XML/i],
    ['an empty document', () => '   ', /XML|EntityDescriptor/i],
    ['mismatched tags', () => `<md:EntityDescriptor xmlns:md="${NS.md}" entityID="x"><md:IDPSSODescriptor></md:EntityDescriptor>`, /XML/i],
    ['truncated metadata', () => idpMetadata().replace(/<\/md:EntityDescriptor>$/, ''), /XML/i],
    [
      'a DOCTYPE with an entity',
      () => `<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY x "https://evil.example.com/sso">]>${withoutDecl(idpMetadata())}`,
      /DOCTYPE|entit/i,
    ],
    ['a lower-case doctype', () => `<!doctype foo>${withoutDecl(idpMetadata())}`, /DOCTYPE|entit/i],
    ['an external entity (XXE)', () => `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>`, /DOCTYPE|entit/i],
    ['another XML document', () => `<?xml version="1.0"?><html><body>Sign in</body></html>`, /EntityDescriptor/],
    ['an EntityDescriptor outside the SAML metadata namespace', () => idpMetadata().replace(`xmlns:md="${NS.md}"`, 'xmlns:md="urn:example:not-saml"'), /EntityDescriptor/],
    ['SP metadata', () => idpMetadata({ descriptor: 'SPSSODescriptor' }), /IDPSSODescriptor/],
    ['an EntitiesDescriptor with only SP entities', () => `<md:EntitiesDescriptor xmlns:md="${NS.md}">${withoutDecl(idpMetadata({ descriptor: 'SPSSODescriptor' }))}</md:EntitiesDescriptor>`, /EntityDescriptor|IDPSSODescriptor/],
    ['no entityID', () => idpMetadata({ entityId: null }), /entityID/],
    ['an entityID longer than 1024 characters', () => idpMetadata({ entityId: `https://idp.example.com/${'e'.repeat(1024)}` }), /entityID.*1024/],
    [
      'more signing certificates than a connection holds (each would be tried at every sign-in)',
      () => idpMetadata({ keys: [good, ...six.slice(0, 5)].map((k) => ({ cert: k.certBase64, use: 'signing' as const })) }),
      /6 signing certificates that have not expired.*at most 5/,
    ],
    ['no SingleSignOnService', () => idpMetadata({ sso: [] }), /SingleSignOnService/],
    ['only a SOAP SingleSignOnService', () => idpMetadata({ sso: [{ binding: 'urn:oasis:names:tc:SAML:2.0:bindings:SOAP', location: 'https://idp.example.com/soap' }] }), /SingleSignOnService/],
    ['a javascript: SSO location', () => idpMetadata({ sso: [{ binding: BINDING_HTTP_REDIRECT, location: 'javascript:alert(1)' }] }), /SingleSignOnService/],
    ['no KeyDescriptor', () => idpMetadata({ keys: [] }), /signing certificate/],
    ['only an encryption key', () => idpMetadata({ keys: [{ cert: other.certBase64, use: 'encryption' }] }), /signing certificate/],
    ['an empty X509Certificate', () => idpMetadata({ keys: [{ cert: '', use: 'signing' }] }), /signing certificate/],
    ['an unreadable certificate', () => idpMetadata({ keys: [{ cert: 'bm90IGEgY2VydGlmaWNhdGU=', use: 'signing' }] }), /certificate.*(read|pars)|cannot be read/i],
    ['a truncated certificate', () => idpMetadata({ keys: [{ cert: good.certBase64.slice(0, 200), use: 'signing' }] }), /certificate.*(read|pars)|cannot be read/i],
    ['only an expired certificate', () => idpMetadata({ keys: [{ cert: expired.certBase64, use: 'signing' }] }), /expired/],
    [
      'more than 1 MiB',
      () => idpMetadata().replace('</md:EntityDescriptor>', `<!-- ${'x'.repeat(MAX_METADATA_BYTES)} --></md:EntityDescriptor>`),
      /1 MiB|large/i,
    ],
    [
      'more than 1 MiB of bytes in fewer characters',
      () => idpMetadata().replace('</md:EntityDescriptor>', `<!-- ${'€'.repeat(400_000)} --></md:EntityDescriptor>`),
      /1 MiB|large/i,
    ],
  ])('refuses %s with a 400 naming the field', (_n, make, message) => {
    const err = refusal(make());
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
    expect(err.errors).toEqual([{ path: 'metadataXml', message: err.message }]);
    expect(err.message).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses metadata listing more than 50 signing certificates before reading each (here 51 of one key)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const [pub, priv] = [forge.pki.publicKeyFromPem(publicKey), forge.pki.privateKeyFromPem(privateKey)];
    const certs = Array.from({ length: 51 }, (_, i) => {
      const c = forge.pki.createCertificate();
      c.publicKey = pub;
      c.serialNumber = `01${i.toString(16).padStart(4, '0')}`;
      c.validity.notBefore = daysAgo(1);
      c.validity.notAfter = new Date(Date.now() + 30 * DAY);
      c.setSubject([{ name: 'commonName', value: 'many.example.com' }]);
      c.setIssuer([{ name: 'commonName', value: 'many.example.com' }]);
      c.sign(priv, forge.md.sha256.create());
      return forge.util.encode64(forge.asn1.toDer(forge.pki.certificateToAsn1(c)).getBytes());
    });
    const err = refusal(idpMetadata({ keys: certs.map((cert) => ({ cert, use: 'signing' as const })) }));
    expect(err.message).toMatch(/more than 50 signing certificates/);
  });

  it('names the field it was told to', () => {
    const err = refusal('not xml', 'metadataUrl');
    expect(err.errors?.[0].path).toBe('metadataUrl');
  });

  it('says when the only certificate expired', () => {
    const err = refusal(idpMetadata({ keys: [{ cert: expired.certBase64, use: 'signing' }] }));
    expect(err.message).toContain(notAfterOf(expired).slice(0, 10));
  });

  it('says what is wrong with a file that is not XML in words, not as the parser reports it', () => {
    expect(refusal('hello').message).toBe('metadata is not well-formed XML: the file is empty or is not XML');
    expect(refusal('<a><b></a>').message).toBe('metadata is not well-formed XML: Opening and ending tag mismatch: "b" != "a"');
  });

  it('judges expiry against the given time', () => {
    const xml = idpMetadata();
    const later = new Date(Date.parse(notAfterOf(good)) + DAY);
    expect(() => parseIdpMetadata(xml, 'metadataXml', later)).toThrow(/expired/);
    expect(parseIdpMetadata(xml, 'metadataXml', new Date()).certificates).toHaveLength(1);
  });

  it('accepts metadata just under the size limit', () => {
    const base = idpMetadata();
    const pad = MAX_METADATA_BYTES - Buffer.byteLength(base) - '<!--  -->'.length;
    const xml = base.replace('</md:EntityDescriptor>', `<!-- ${'x'.repeat(pad)} --></md:EntityDescriptor>`);
    expect(Buffer.byteLength(xml)).toBe(MAX_METADATA_BYTES);
    expect(parseIdpMetadata(xml).entityId).toBe(ENTITY);
  });
});
