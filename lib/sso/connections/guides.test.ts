import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURES, type LoginFailure } from '../failures';
import { detectProvider, fill, GUIDES, PROVIDERS, spValuesFrom } from './guides';
import { hintFor, HINTED_REASONS } from './hints';

const values = spValuesFrom({
  acsUrl: 'https://portal.example.com/api/oauth/saml',
  entityId: 'https://portal.example.com/.well-known/sp-metadata',
  sloUrl: 'https://portal.example.com/api/oauth/saml/slo',
  oidcRedirectUrl: 'https://portal.example.com/api/oauth/oidc',
});

describe('IdP set-up guides', () => {
  it('has a guide for every provider of the picker', () => {
    expect(Object.keys(GUIDES).sort()).toEqual([...PROVIDERS].sort());
    for (const id of PROVIDERS) expect(GUIDES[id].id).toBe(id);
  });

  it.each(PROVIDERS.filter((p) => GUIDES[p].protocol === 'saml'))('%s (SAML) gives the ACS URL, the SP entity ID and the NameID format', (id) => {
    const keys = GUIDES[id].fields.map((f) => f.key);
    expect(keys).toEqual(expect.arrayContaining(['acsUrl', 'entityId', 'nameIdFormat']));
    expect(GUIDES[id].fields.every((f) => f.label.trim().length > 0)).toBe(true);
  });

  it('the generic SAML guide and the ones that import SP metadata give the SP metadata URL', () => {
    for (const id of ['saml', 'okta', 'entra', 'adfs', 'ping'] as const) expect(GUIDES[id].fields.map((f) => f.key)).toContain('metadataUrl');
  });

  it('the SAML guides of IdPs that support them say how to encrypt assertions and turn on single logout, with this portal’s values', () => {
    for (const id of ['okta', 'entra', 'adfs', 'ping', 'saml'] as const) {
      expect(fill(GUIDES[id].encryption!, values)).toContain(values.metadataUrl);
      expect(fill(GUIDES[id].singleLogout!, values)).toContain(values.sloUrl);
    }
    for (const g of Object.values(GUIDES)) {
      for (const text of [g.encryption, g.singleLogout].filter(Boolean)) expect(fill(text!, values)).not.toMatch(/\{[a-zA-Z]+\}/);
      expect(g.steps.join(' ')).not.toMatch(/not supported|Unencrypted|do not encrypt|no encryption/);
    }
  });

  it('the OIDC guide gives the redirect URI and scopes', () => {
    expect(GUIDES.oidc.fields.map((f) => f.key)).toEqual(['redirectUri', 'scopes']);
    expect(values.scopes).toBe('openid email');
    expect(values.redirectUri).toBe('https://portal.example.com/api/oauth/oidc');
  });

  it.each(PROVIDERS)('%s names the four attributes the portal reads, steps, and where its metadata is', (id) => {
    const g = GUIDES[id];
    expect(g.attributes.map((a) => a.name)).toEqual(['email', 'firstName', 'lastName', 'groups']);
    expect(g.steps.length).toBeGreaterThanOrEqual(3);
    expect(g.metadata.where.length).toBeGreaterThan(20);
  });

  it('the SP metadata URL is the entity ID and the NameID format is emailAddress', () => {
    expect(values.metadataUrl).toBe(values.entityId);
    expect(values.nameIdFormat).toBe('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress');
  });

  it('fills placeholders and leaves other braces alone', () => {
    expect(fill('ACS {acsUrl} / {tenant-id}', values)).toBe(`ACS ${values.acsUrl} / {tenant-id}`);
  });

  it.each([
    [{ entityId: 'http://www.okta.com/exk1abcdefghijklmnop', ssoUrl: 'https://acme.okta.com/app/acme_portal_1/exk1abcdefghijklmnop/sso/saml' }, 'okta'],
    [{ entityId: 'https://sts.windows.net/0f0f0f0f-0000-1111-2222-333333333333/', ssoUrl: 'https://login.microsoftonline.com/0f0f/saml2' }, 'entra'],
    [{ entityId: 'https://accounts.google.com/o/saml2?idpid=C01abc', ssoUrl: 'https://accounts.google.com/o/saml2/idp?idpid=C01abc' }, 'google'],
    [{ entityId: 'https://app.onelogin.com/saml/metadata/123', ssoUrl: 'https://acme.onelogin.com/trust/saml2/http-post/sso/123' }, 'onelogin'],
    [{ entityId: 'acme-portal', ssoUrl: 'https://sso.jumpcloud.com/saml2/acme-portal' }, 'jumpcloud'],
    [{ entityId: 'http://adfs.acme.com/adfs/services/trust', ssoUrl: 'https://adfs.acme.com/adfs/ls/' }, 'adfs'],
    [{ entityId: 'https://auth.pingone.com/env/app', ssoUrl: 'https://auth.pingone.com/env/saml20/idp/sso' }, 'ping'],
    [{ entityId: 'https://idp.example.org/metadata', ssoUrl: 'https://idp.example.org/sso' }, 'saml'],
  ] as const)('detects the provider of %j', (idp, expected) => {
    expect(detectProvider('saml', idp)).toBe(expected);
  });

  it('an OIDC connection uses the OIDC guide', () => {
    expect(detectProvider('oidc', { issuer: 'https://acme.okta.com' })).toBe('oidc');
  });
});

describe('fix hints for failed tests', () => {
  const reasons = Object.keys(LOGIN_FAILURES) as LoginFailure[];

  it('every typed failure reason has a hint of its own', () => {
    expect(reasons.filter((r) => !HINTED_REASONS.includes(r))).toEqual([]);
  });

  it.each(reasons)('%s has a non-generic hint for every provider, with no placeholder left', (reason) => {
    for (const p of PROVIDERS) {
      const h = hintFor(reason, p, values);
      expect(h.length).toBeGreaterThan(20);
      expect(h).not.toMatch(/\{(acsUrl|entityId|metadataUrl|nameIdFormat|redirectUri|scopes)\}/);
      expect(h).not.toContain('set-up guide on this page');
    }
  });

  it('words hints for the IdP where its UI differs, with this portal’s values', () => {
    expect(hintFor('audience_mismatch', 'okta', values)).toContain('Audience URI (SP Entity ID)');
    expect(hintFor('audience_mismatch', 'okta', values)).toContain(values.entityId);
    expect(hintFor('audience_mismatch', 'entra', values)).toContain('Identifier (Entity ID)');
    expect(hintFor('recipient_mismatch', 'entra', values)).toContain(values.acsUrl);
    expect(hintFor('weak_algorithm', 'adfs', values)).toContain('Secure hash algorithm');
    expect(hintFor('expired', 'adfs', values)).toContain('w32tm');
    expect(hintFor('signature_missing', 'saml', values)).toContain('RSA-SHA256');
    expect(hintFor('status_not_success', 'google', values)).toContain('User access');
  });

  it('an unknown reason still gets a generic hint', () => {
    expect(hintFor('something_new', 'okta', values)).toContain('set-up guide');
  });
});
