import 'server-only';
import { sso } from '../jackson';
import { sp } from '../sp';
import { spSigningKey } from './request';
import { esc } from './metadata';
import { spEncryptionKeys } from './sp-keys';

const certBody = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');

const keyDescriptor = (use: 'signing' | 'encryption', certPem: string, methods: string[] = []) =>
  `    <md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(certPem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>` +
  methods.map((m) => `<md:EncryptionMethod Algorithm="${m}"/>`).join('') +
  `</md:KeyDescriptor>\n`;

/** The content encryption and key transport the portal decrypts (./decrypt.ts), most preferred first. */
export const ENCRYPTION_METHODS = [
  'http://www.w3.org/2009/xmlenc11#aes256-gcm',
  'http://www.w3.org/2009/xmlenc11#aes128-gcm',
  'http://www.w3.org/2001/04/xmlenc#aes256-cbc',
  'http://www.w3.org/2001/04/xmlenc#aes128-cbc',
  'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
];

/**
 * The portal's SAML SP metadata: entity ID, the signing certificate of its AuthnRequests, its
 * encryption certificates (two during a rollover), the single logout service (both bindings) and the ACS
 * (HTTP-POST). Built from the portal's own values only.
 */
export async function spMetadataXml(): Promise<string> {
  await sso();
  const [signing, encryption] = await Promise.all([spSigningKey(), spEncryptionKeys()]);
  const s = sp();
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(s.entityId)}">\n` +
    `  <md:SPSSODescriptor AuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    keyDescriptor('signing', signing.certPem) +
    encryption.map((k) => keyDescriptor('encryption', k.certPem, ENCRYPTION_METHODS)).join('') +
    `    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${esc(s.sloUrl)}"/>\n` +
    `    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(s.sloUrl)}"/>\n` +
    `    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>\n` +
    `    <md:AssertionConsumerService index="1" isDefault="true" Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${esc(s.acsUrl)}"/>\n` +
    `  </md:SPSSODescriptor>\n` +
    `</md:EntityDescriptor>\n`
  );
}
