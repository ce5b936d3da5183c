import { describe, expect, it } from 'vitest';
import { amrShowsMfa, oidcShowsMfa, samlShowsMfa } from './mfa';

const ENTRA_AMR = 'http://schemas.microsoft.com/claims/authnmethodsreferences';

describe('SAML: AuthnContextClassRef and method attributes', () => {
  it.each([
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', {}, false],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:Password', {}, false],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:X509', {}, false],
    ['urn:federation:authentication:windows', {}, false],
    [null, {}, false],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:MultiFactor', {}, true],
    ['https://refeds.org/profile/mfa', {}, true],
    [' https://refeds.org/profile/mfa ', {}, true],
    ['http://schemas.microsoft.com/claims/multipleauthn', {}, true], // ADFS
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract', {}, true],
    ['urn:okta:loa:2fa:any', {}, true],
    ['urn:okta:loa:2fa:any:ifpossible', {}, false],
    ['https://refeds.org/profile/sfa', {}, false],
    // Entra ID: class stays Password…, MFA is in the authnmethodsreferences attribute
    [
      'urn:oasis:names:tc:SAML:2.0:ac:classes:Password',
      { [ENTRA_AMR]: ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password', 'http://schemas.microsoft.com/claims/multipleauthn'] },
      true,
    ],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:Password', { [ENTRA_AMR]: ['http://schemas.microsoft.com/ws/2008/06/identity/authenticationmethod/password'] }, false],
    // Okta dynamic authentication context attribute (RFC 8176 values)
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', { amr: ['pwd', 'otp'] }, true],
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', { amr: ['pwd'] }, false],
    // an attribute with another name proves nothing
    ['urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport', { mfa: ['true'], department: ['https://refeds.org/profile/mfa'] }, false],
  ] as [string | null, Record<string, string[]>, boolean][])('%s %j → %s', (classRef, attributes, mfa) => {
    expect(samlShowsMfa({ authnContextClassRef: classRef, attributes }).mfa).toBe(mfa);
  });
});

describe('OIDC amr (RFC 8176) and acr', () => {
  it.each([
    [['mfa'], true],
    [['pwd', 'mfa'], true],
    [['pwd', 'otp'], true],
    [['pwd', 'hwk'], true],
    [['pin', 'swk'], true],
    [['swk', 'fpt'], true],
    [['hwk', 'face'], true],
    [['pwd'], false],
    [['otp'], false],
    [['hwk'], false],
    [['pwd', 'kba'], false], // two things you know are one factor kind
    [['sms', 'otp'], false],
    [['mca'], false],
    [['wia'], false],
    [[], false],
  ])('amr %j → %s', (amr, mfa) => expect(amrShowsMfa(amr)).toBe(mfa));

  it.each([
    [{ amr: ['pwd', 'mfa'] }, true],
    [{ amr: ['pwd'] }, false],
    [{ amr: 'pwd otp' }, true], // a space-separated string, leniently
    [{ amr: [1, 'pwd'] }, false],
    [{ acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' }, true],
    [{ acr: 'https://refeds.org/profile/mfa' }, true],
    [{ acr: 'urn:okta:loa:2fa:any' }, true],
    [{ acr: 'urn:okta:loa:1fa:any' }, false],
    [{ acr: 'urn:okta:loa:2fa:any:ifpossible' }, false],
    [{ acr: '1' }, false],
    [{ acr: ['https://refeds.org/profile/mfa'] }, false], // acr is a string claim
    [{ amr: ['pwd'], acr: 'https://refeds.org/profile/mfa' }, true],
    [{}, false],
  ])('%j → %s', (claims, mfa) => expect(oidcShowsMfa(claims).mfa).toBe(mfa));

  it('says what it saw', () => {
    expect(oidcShowsMfa({ amr: ['pwd'], acr: '0' })).toEqual({ mfa: false, evidence: 'amr pwd; acr 0' });
    expect(samlShowsMfa({ authnContextClassRef: 'urn:x', attributes: {} })).toEqual({ mfa: false, evidence: 'AuthnContextClassRef urn:x' });
  });
});
