import { DOMParser, onErrorStopParsing } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { TestSamlIdp } from '@/e2e/idp/saml-idp';
import { checkSamlResponse } from '@/lib/sso/saml/checks';
import { parseSamlAttributes, type XmlParser } from './saml-attributes';

// The browser's DOMParser in the editor; xmldom (stopping at any error, as browsers do) here.
const xml: XmlParser = new DOMParser({ onError: onErrorStopParsing }) as unknown as XmlParser;
const parse = (text: string) => parseSamlAttributes(text, xml);
const ok = (text: string) => {
  const r = parse(text);
  if (!r.ok) throw new Error(`expected attributes, got: ${r.error}`);
  return { ...r, attributes: { ...r.attributes } };
};

const STATEMENT = `
<saml:AttributeStatement>
  <saml:Attribute Name="http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" FriendlyName="groups">
    <saml:AttributeValue xsi:type="xs:string">Engineering</saml:AttributeValue>
    <saml:AttributeValue xsi:type="xs:string">Everyone</saml:AttributeValue>
  </saml:Attribute>
  <saml:Attribute Name="department" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
    <saml:AttributeValue>Sales</saml:AttributeValue>
  </saml:Attribute>
  <saml:Attribute Name="urn:oid:0.9.2342.19200300.100.1.3" FriendlyName="mail">
    <saml:AttributeValue>ada@acme.test</saml:AttributeValue>
  </saml:Attribute>
</saml:AttributeStatement>`;

describe('parseSamlAttributes', () => {
  it('reads a pasted <saml:AttributeStatement> whose prefixes are declared elsewhere, keyed by Name and FriendlyName', () => {
    const r = ok(STATEMENT);
    expect(r.attributes).toEqual({
      'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups': ['Engineering', 'Everyone'],
      groups: ['Engineering', 'Everyone'],
      department: ['Sales'],
      'urn:oid:0.9.2342.19200300.100.1.3': ['ada@acme.test'],
      mail: ['ada@acme.test'],
    });
    expect(r.count).toBe(3);
  });

  it('reads the same attributes as the sign-in does from a whole signed response (as XML and as base64)', () => {
    const idp = new TestSamlIdp({ entityId: 'https://idp.parse.test/metadata', ssoUrl: 'https://idp.parse.test/sso' });
    const now = new Date();
    const b64 = idp.buildResponse({
      acsUrl: 'https://portal.test/acs',
      audience: 'https://portal.test/sp',
      inResponseTo: '_req1',
      nameId: 'ada@acme.test',
      issueInstant: now,
      attributes: {
        email: 'ada@acme.test',
        groups: ['Admins', 'CN=Ops,OU=Groups,DC=acme,DC=test'],
        'urn:oid:2.5.4.42': { values: 'Ada', friendlyName: 'givenName' },
        same: { values: 'x', friendlyName: 'same' },
      },
    });
    const server = checkSamlResponse(b64, {
      spEntityId: 'https://portal.test/sp',
      acsUrl: 'https://portal.test/acs',
      idpEntityId: idp.entityId,
      certificates: [idp.certPem],
      expectedInResponseTo: '_req1',
      now,
    }).attributes;
    const fromXml = ok(Buffer.from(b64, 'base64').toString('utf8')).attributes;
    expect(fromXml).toEqual({ ...server });
    expect(fromXml.givenName).toEqual(['Ada']);
    expect(fromXml.same).toEqual(['x']); // a FriendlyName equal to the Name is not doubled
    expect(ok(b64).attributes).toEqual({ ...server });
    // Line-wrapped base64, as some tracers show it.
    expect(ok(b64.replace(/(.{64})/g, '$1\n')).attributes).toEqual({ ...server });
  });

  it('accepts loose <saml2:Attribute> elements, any prefix, and an XML declaration', () => {
    const r = ok(`<?xml version="1.0" encoding="UTF-8"?>
      <saml2:Attribute Name="role"><saml2:AttributeValue>owner</saml2:AttributeValue></saml2:Attribute>
      <a:Attribute Name="team"><a:AttributeValue> Platform </a:AttributeValue></a:Attribute>`);
    expect(r.attributes).toEqual({ role: ['owner'], team: ['Platform'] });
  });

  it('reads unprefixed elements in a default namespace, and SAML 1.1 AttributeName', () => {
    const r = ok(`<AttributeStatement xmlns="urn:oasis:names:tc:SAML:1.0:assertion">
      <Attribute AttributeName="memberOf" AttributeNamespace="urn:x"><AttributeValue>Staff</AttributeValue></Attribute>
    </AttributeStatement>`);
    expect(r.attributes).toEqual({ memberOf: ['Staff'] });
  });

  it('skips xsi:nil values, keeps empty ones, and merges repeated attributes in document order', () => {
    const r = ok(`<saml:AttributeStatement>
      <saml:Attribute Name="groups"><saml:AttributeValue>A</saml:AttributeValue><saml:AttributeValue xsi:nil="true"/></saml:Attribute>
      <saml:Attribute Name="groups"><saml:AttributeValue>B</saml:AttributeValue></saml:Attribute>
      <saml:Attribute Name="title"><saml:AttributeValue/></saml:Attribute>
    </saml:AttributeStatement>`);
    expect(r.attributes).toEqual({ groups: ['A', 'B'], title: [''] });
  });

  it('decodes entities and CDATA, and ignores Attribute elements outside an AttributeStatement', () => {
    const r = ok(`<samlp:AttributeQuery><saml:Attribute Name="ignored"/></samlp:AttributeQuery>
      <saml:AttributeStatement><saml:Attribute Name="dept"><saml:AttributeValue>R&amp;D</saml:AttributeValue><saml:AttributeValue><![CDATA[<Ops>]]></saml:AttributeValue></saml:Attribute></saml:AttributeStatement>`);
    expect(r.attributes).toEqual({ dept: ['R&D', '<Ops>'] });
  });

  it('keeps attribute names such as __proto__ as plain data', () => {
    const r = parse(`<saml:Attribute Name="__proto__"><saml:AttributeValue>x</saml:AttributeValue></saml:Attribute>`);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(Object.getPrototypeOf(r.attributes)).toBeNull();
      expect(Object.hasOwn(r.attributes, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    }
  });

  it.each<[string, string, RegExp]>([
    ['empty input', '   ', /Paste a SAML assertion/],
    ['text that is neither XML nor base64', 'groups = Admins', /neither XML nor a base64/],
    ['base64 of something that is not XML', Buffer.from('hello world, not xml').toString('base64'), /neither XML nor a base64/],
    ['malformed XML', '<saml:Attribute Name="x"><saml:AttributeValue>a</saml:Attribute>', /could not be read/],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY e "boom">]><saml:Attribute Name="x"/>', /DOCTYPE/],
    ['XML without attributes', '<saml:Assertion><saml:Subject/></saml:Assertion>', /No <saml:Attribute> elements/],
    ['only encrypted attributes', '<saml:AttributeStatement><saml:EncryptedAttribute/></saml:AttributeStatement>', /encrypted/],
  ])('refuses %s with a message', (_n, text, message) => {
    const r = parse(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });

  it('reports a browser-style <parsererror> document as an error', () => {
    const browserLike: XmlParser = {
      parseFromString: () => ({
        nodeType: 9,
        nodeName: '#document',
        textContent: null,
        parentNode: null,
        childNodes: [{ nodeType: 1, localName: 'parsererror', nodeName: 'parsererror', textContent: 'error on line 1 at column 5: Opening and ending tag mismatch', childNodes: [], parentNode: null }],
      }),
    };
    const r = parseSamlAttributes('<saml:Attribute Name="x">', browserLike);
    expect(r).toEqual({ ok: false, error: 'The XML could not be read: error on line 1 at column 5: Opening and ending tag mismatch' });
  });
});
