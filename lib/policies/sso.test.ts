import { describe, expect, it } from 'vitest';
import { OIDC_MFA_REQUEST, SAML_MFA_REQUEST } from './mfa';
import { isNoAuthnContext, mfaRequiredFor, requestOidcMfa, samlMfaContext, signInIpAllowed } from './sso';

describe('SSO-side policy helpers', () => {
  it.each([
    [{}, null, false],
    [{ requireMfa: true }, null, true],
    [{ requireMfa: true }, false, false],
    [{}, true, true],
    [{ requireMfa: false }, true, true],
  ] as const)('tenant %j, connection %s → MFA %s', (policy, conn, required) => {
    expect(mfaRequiredFor(policy, { requireMfa: conn })).toBe(required);
  });

  it('OIDC: acr_values on the authorization URL, the rest untouched', async () => {
    const r = requestOidcMfa({ redirect_url: 'https://op.example/authorize?client_id=x&state=s&scope=openid%20email' });
    const u = new URL(r.redirect_url!);
    expect(u.searchParams.get('acr_values')).toBe(OIDC_MFA_REQUEST.join(' '));
    expect(u.searchParams.get('state')).toBe('s');
    expect(u.searchParams.get('scope')).toBe('openid email');
  });

  it('Entra ID gets no RequestedAuthnContext (its MFA shows in authnmethodsreferences); other SAML IdPs an exact one; errors pass through', () => {
    expect(samlMfaContext({ idp: { entityId: 'https://sts.windows.net/0000-1111/' } })).toBeNull();
    expect(samlMfaContext({ idp: { entityId: 'https://idp.example' } })).toEqual({ classRefs: SAML_MFA_REQUEST, comparison: 'exact' });
    const err = { error: 'nope' };
    expect(requestOidcMfa(err)).toEqual(err);
  });

  it('NoAuthnContext is recognised in either status level', () => {
    expect(isNoAuthnContext({ statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:NoAuthnContext'] })).toBe(true);
    expect(isNoAuthnContext({ statusCodes: ['urn:oasis:names:tc:SAML:2.0:status:Responder', 'urn:oasis:names:tc:SAML:2.0:status:AuthnFailed'] })).toBe(false);
    expect(isNoAuthnContext({})).toBe(false);
  });

  it('sign-in IP allowlist', () => {
    expect(signInIpAllowed({}, null)).toBe(true);
    expect(signInIpAllowed({ ipAllowlist: ['203.0.113.0/24'] }, '203.0.113.5')).toBe(true);
    expect(signInIpAllowed({ ipAllowlist: ['203.0.113.0/24'] }, '198.51.100.5')).toBe(false);
  });
});
