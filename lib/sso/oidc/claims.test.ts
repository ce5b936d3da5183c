import { describe, expect, it } from 'vitest';
import { emailOf, IAT_MAX_AGE_S, IAT_MAX_SKEW_S, iatProblem, issuerProblem } from './claims';

const now = 1_800_000_000;

describe('iatProblem: the ID token’s issue time', () => {
  it.each<[string, unknown, boolean]>([
    ['now', now, true],
    ['within the skew ahead', now + IAT_MAX_SKEW_S, true],
    ['just past the skew ahead', now + IAT_MAX_SKEW_S + 1, false],
    ['an hour ahead', now + 3600, false],
    ['ten minutes old', now - IAT_MAX_AGE_S, true],
    ['ten minutes old plus the skew', now - IAT_MAX_AGE_S - IAT_MAX_SKEW_S, true],
    ['older still', now - IAT_MAX_AGE_S - IAT_MAX_SKEW_S - 1, false],
    ['a day old', now - 86_400, false],
    ['missing', undefined, false],
    ['a string', String(now), false],
    ['NaN', Number.NaN, false],
    ['Infinity', Number.POSITIVE_INFINITY, false],
  ])('%s: accepted %s', (_, iat, ok) => {
    expect(iatProblem(iat, now) === null).toBe(ok);
  });
});

describe('emailOf: the email of an OIDC sign-in and whether the provider vouches for it', () => {
  it.each<[string, Record<string, unknown>, Record<string, unknown>, { email: string | null; emailVerified: boolean }]>([
    ['ID token, verified', { email: 'a@x.example', email_verified: true }, {}, { email: 'a@x.example', emailVerified: true }],
    ['ID token, unverified', { email: 'a@x.example', email_verified: false }, {}, { email: 'a@x.example', emailVerified: false }],
    ['ID token, no claim (Entra ID)', { email: 'a@x.example' }, {}, { email: 'a@x.example', emailVerified: false }],
    ['the string "true"', { email: 'a@x.example', email_verified: 'true' }, {}, { email: 'a@x.example', emailVerified: true }],
    ['a truthy non-true value', { email: 'a@x.example', email_verified: 1 }, {}, { email: 'a@x.example', emailVerified: false }],
    // userinfo's verification describes userinfo's address, never the ID token's
    ['ID token email, userinfo says verified', { email: 'victim@x.example' }, { email: 'other@x.example', email_verified: true }, { email: 'victim@x.example', emailVerified: false }],
    ['ID token without email: userinfo', { sub: 's' }, { email: 'u@x.example', email_verified: true }, { email: 'u@x.example', emailVerified: true }],
    ['ID token verified without email: not userinfo’s address', { email_verified: true }, { email: 'u@x.example' }, { email: 'u@x.example', emailVerified: false }],
    ['no email anywhere', { email_verified: true }, {}, { email: null, emailVerified: false }],
    ['a non-string email', { email: ['a@x.example'], email_verified: true }, {}, { email: null, emailVerified: false }],
  ])('%s', (_, id, userinfo, expected) => {
    expect(emailOf(id, userinfo)).toEqual(expected);
  });
});

describe('issuerProblem (OpenID Connect Discovery §4.3: the issuer is where its document is)', () => {
  it.each([
    ['https://acme.okta.com/.well-known/openid-configuration', 'https://acme.okta.com'],
    ['https://tenant.auth0.com/.well-known/openid-configuration', 'https://tenant.auth0.com/'],
    ['https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration', 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0'],
    // Entra's form for apps with their own signing keys, and Azure AD B2C's user flows: the query names the keys or the flow.
    ['https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration?appid=6731de76', 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0'],
    ['https://t.b2clogin.com/775527ff-9a37-4307-8b3d-cc311f58d925/v2.0/.well-known/openid-configuration?p=B2C_1_signin', 'https://t.b2clogin.com/775527ff-9a37-4307-8b3d-cc311f58d925/v2.0/'],
    ['https://sso.example.com/realms/acme/.well-known/openid-configuration', 'https://SSO.example.com/realms/acme'],
  ])('accepts %s with issuer %s', (url, issuer) => {
    expect(issuerProblem(url, issuer)).toBeNull();
  });

  it.each([
    // Another provider's issuer from one's own server: the mix-up's first step.
    ['https://evil.example/.well-known/openid-configuration', 'https://acme.okta.com', /is not the URL it was fetched from/],
    ['https://evil.example/acme.okta.com/.well-known/openid-configuration', 'https://acme.okta.com', /is not the URL/],
    ['https://acme.okta.com.evil.example/.well-known/openid-configuration', 'https://acme.okta.com', /is not the URL/],
    ['https://acme.okta.com/oauth2/default', 'https://acme.okta.com/oauth2/default', /is not the URL/],
    ['https://evil.example/.well-known/openid-configuration', 'not a url', /is not the URL/],
    ['https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration', 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', /tenant by its ID/],
  ])('refuses %s with issuer %s', (url, issuer, why) => {
    expect(issuerProblem(url, issuer)).toMatch(why);
  });
});
