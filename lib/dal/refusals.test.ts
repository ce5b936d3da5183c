import { describe, expect, it } from 'vitest';
import { createIdpKeyPair, TestSamlIdp } from '@/lib/demo/saml-idp';
import { AppError } from '../errors';
import { checkUntrustedUrl } from '../http/safe-fetch';
import { parseIdpMetadata } from '../sso/saml/metadata';
import { auditableUrl, connectionRefusalReason } from './refusals';

const idp = () => new TestSamlIdp({ entityId: 'https://idp.example.com/metadata', ssoUrl: 'https://idp.example.com/sso' });
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('did not throw');
};

describe('connectionRefusalReason: the typed reason of what the real checks throw', () => {
  const expired = createIdpKeyPair({ commonName: 'old.example.com', notBefore: new Date(Date.now() - 30 * 86400_000), validDays: 1 });
  it.each<[string, string, () => unknown]>([
    ['not XML', 'not_xml', () => parseIdpMetadata('hello')],
    ['unclosed XML', 'not_xml', () => parseIdpMetadata('<md:EntityDescriptor')],
    ['a DOCTYPE', 'doctype', () => parseIdpMetadata(`<!DOCTYPE x>${idp().metadataXml()}`)],
    ['an ENTITY', 'doctype', () => parseIdpMetadata(`<!ENTITY e "e">${idp().metadataXml()}`)],
    ['no EntityDescriptor', 'no_idp_descriptor', () => parseIdpMetadata('<root/>')],
    ['SP metadata', 'no_idp_descriptor', () => parseIdpMetadata(idp().metadataXml().replace(/IDPSSODescriptor/g, 'SPSSODescriptor'))],
    ['no certificate', 'no_signing_certificate', () => parseIdpMetadata(idp().metadataXml().replace(/<md:KeyDescriptor.*<\/md:KeyDescriptor>/, ''))],
    [
      'an expired certificate',
      'expired_certificate',
      () => parseIdpMetadata(new TestSamlIdp({ entityId: 'https://x.example.com/m', ssoUrl: 'https://x.example.com/sso', keyPair: expired }).metadataXml()),
    ],
    ['no SSO URL', 'invalid_metadata', () => parseIdpMetadata(idp().metadataXml().replace(/<md:SingleSignOnService[^>]*\/>/g, ''))],
    ['a loopback URL', 'url_not_allowed', () => checkUntrustedUrl('https://127.0.0.1/m', { path: 'metadataUrl', allowPrivate: false })],
    ['a link-local URL', 'url_not_allowed', () => checkUntrustedUrl('https://169.254.169.254/m', { path: 'metadataUrl', allowPrivate: false })],
    ['localhost', 'url_not_allowed', () => checkUntrustedUrl('https://localhost/m', { path: 'metadataUrl', allowPrivate: false })],
    ['plain http', 'url_not_allowed', () => checkUntrustedUrl('http://idp.example.com/m', { path: 'metadataUrl', allowPrivate: false })],
    ['credentials', 'url_not_allowed', () => checkUntrustedUrl('https://a:b@idp.example.com/m', { path: 'metadataUrl', allowPrivate: false })],
    ['not a URL', 'url_not_allowed', () => checkUntrustedUrl('nope', { path: 'metadataUrl', allowPrivate: false })],
  ])('%s → %s', (_n, reason, fn) => {
    expect(connectionRefusalReason(thrown(fn))).toBe(reason);
  });

  it('what fetching met is fetch_failed; discovery and library refusals have their own reasons', () => {
    const url = (m: string) => new AppError(400, 'invalid_url', m, [{ path: 'metadataUrl', message: m }]);
    for (const m of ['answered HTTP 404', 'host idp.example.com could not be resolved', 'could not be fetched (timed out)', 'document is larger than 1048576 bytes']) {
      expect(connectionRefusalReason(url(m)), m).toBe('fetch_failed');
    }
    expect(connectionRefusalReason(new AppError(400, 'invalid_discovery', 'discovery document is not JSON'))).toBe('invalid_discovery');
    expect(connectionRefusalReason(new AppError(400, 'invalid_connection', 'refused by the SSO library'))).toBe('rejected_by_sso_library');
  });

  it('anything else is not a refusal of input', () => {
    for (const e of [
      new AppError(409, 'conflict', 'a connection for IdP x already exists'),
      new AppError(404, 'not_found', 'Tenant not found'),
      new AppError(400, 'invalid_input', 'Invalid request body'),
      new Error('boom'),
      null,
    ]) {
      expect(connectionRefusalReason(e)).toBeNull();
    }
  });
});

describe('auditableUrl', () => {
  it.each([
    ['https://idp.example.com/metadata?token=s3cret#frag', 'https://idp.example.com/metadata'],
    ['https://user:pw@idp.example.com/m', 'https://idp.example.com/m'],
    ['http://127.0.0.1:8080/m', 'http://127.0.0.1:8080/m'],
  ])('%s → %s', (raw, kept) => expect(auditableUrl(raw)).toBe(kept));
  it('is null for nothing or a non-URL', () => {
    expect(auditableUrl(undefined)).toBeNull();
    expect(auditableUrl('not a url')).toBeNull();
  });
});
