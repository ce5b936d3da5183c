import { describe, expect, it } from 'vitest';
import { TestSamlIdp } from '@/lib/demo/saml-idp';
import type { User } from '@/lib/db/schema';
import type { TenantWithDomains } from '@/lib/dal/tenants';
import { testVerdict, type ConnectionTestResult } from '@/lib/validation/connections';
import { observeSamlResponse, provisioningChecks, sessionNotOnOrAfterOf } from './test-sign-in';

const tenant = (strategy: 'jit' | 'scim' | 'self_registration', allowedDomains: string[] = []) =>
  ({ strategy, domains: ['acme.com'], allowedDomains }) as unknown as TenantWithDomains;
const user = (source: 'jit' | 'scim' | 'self_registration', status: 'active' | 'suspended' = 'active') => ({ source, status }) as unknown as User;
const summary = (checks: ReturnType<typeof provisioningChecks>) => checks.map((c) => `${c.name}:${c.ok ? 'ok' : 'fail'}`);

describe('provisioning checks of a test sign-in', () => {
  it.each([
    ['jit, new user', tenant('jit'), 'ada@acme.com', null, ['Email address:ok', 'Email domain:ok', 'Just-in-time provisioning:ok']],
    ['no email', tenant('jit'), null, null, ['Email address:fail']],
    ['not an email', tenant('jit'), 'ada', null, ['Email address:fail']],
    ['foreign domain', tenant('jit'), 'ada@else.com', null, ['Email address:ok', 'Email domain:fail']],
    ['allowed domain', tenant('jit', ['partner.org']), 'bo@partner.org', null, ['Email address:ok', 'Email domain:ok', 'Just-in-time provisioning:ok']],
    ['scim, not pushed', tenant('scim'), 'ada@acme.com', null, ['Email address:ok', 'Email domain:ok', 'Directory (SCIM) provisioning:fail']],
    ['scim, pushed', tenant('scim'), 'ada@acme.com', user('scim'), ['Email address:ok', 'Email domain:ok', 'Directory (SCIM) provisioning:ok', 'Account status:ok']],
    ['scim, jit user', tenant('scim'), 'ada@acme.com', user('jit'), ['Email address:ok', 'Email domain:ok', 'Directory (SCIM) provisioning:fail', 'Account status:ok']],
    ['self-registration, own domain, new', tenant('self_registration'), 'ada@acme.com', null, ['Email address:ok', 'Email domain:ok', 'Self-registration:fail']],
    ['self-registration, allowed domain', tenant('self_registration', ['partner.org']), 'bo@partner.org', null, ['Email address:ok', 'Email domain:ok', 'Self-registration:ok']],
    ['suspended user', tenant('jit'), 'ada@acme.com', user('jit', 'suspended'), ['Email address:ok', 'Email domain:ok', 'Just-in-time provisioning:ok', 'Account status:fail']],
  ] as const)('%s', (_, t, email, existing, expected) => {
    expect(summary(provisioningChecks(t, email, existing))).toEqual(expected);
  });

  it('every failed check after the email says how to fix it; passed ones do not', () => {
    const cases = [
      provisioningChecks(tenant('jit'), 'ada@else.com', null),
      provisioningChecks(tenant('scim'), 'ada@acme.com', user('jit', 'suspended')),
      provisioningChecks(tenant('self_registration'), 'ada@acme.com', null),
    ];
    for (const checks of cases) {
      for (const c of checks.slice(1)) expect(Boolean(c.fix), c.name).toBe(!c.ok);
    }
    expect(cases[0][1].fix).toContain('Add else.com under Domains');
  });
});

describe('the verdict of a test is its worst part', () => {
  const base = { outcome: 'success', at: '2026-01-01T00:00:00Z', protocol: 'saml', provider: 'okta' } as const;
  it.each([
    ['accepted, every check passes', { ...base, checks: [{ name: 'a', ok: true, detail: '' }] }, 'passed'],
    ['accepted, no checks', base, 'passed'],
    ['accepted, a check fails', { ...base, checks: [{ name: 'a', ok: true, detail: '' }, { name: 'b', ok: false, detail: '' }] }, 'problems'],
    ['refused', { ...base, outcome: 'failure', checks: [{ name: 'a', ok: true, detail: '' }] }, 'failed'],
  ] as const)('%s', (_, r, verdict) => {
    expect(testVerdict(r as ConnectionTestResult)).toBe(verdict);
  });
});

describe('reading a SAML response for the test result', () => {
  const idp = new TestSamlIdp({ entityId: 'https://idp.example.org/metadata', ssoUrl: 'https://idp.example.org/sso' });
  it('shows what a refused response says next to what is expected', () => {
    const r = idp.buildResponse({
      acsUrl: 'https://portal.example.com/api/oauth/saml',
      audience: 'https://wrong.example.com',
      recipient: 'https://elsewhere.example.com/acs',
      inResponseTo: '_req1',
      nameId: 'ada@acme.com',
      signatureAlgorithm: 'sha1',
      statusCode: 'Responder',
    });
    expect(observeSamlResponse(r)).toMatchObject({
      issuer: 'https://idp.example.org/metadata',
      audience: 'https://wrong.example.com',
      recipient: 'https://elsewhere.example.com/acs',
      destination: 'https://portal.example.com/api/oauth/saml',
      inResponseTo: '_req1',
      nameId: 'ada@acme.com',
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      status: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
      signatureAlgorithm: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
      signed: 'yes',
    });
  });
  it('reads nothing from garbage or a DOCTYPE', () => {
    expect(observeSamlResponse(Buffer.from('not xml').toString('base64'))).toEqual({});
    expect(observeSamlResponse(Buffer.from('<!DOCTYPE x><x/>').toString('base64'))).toEqual({});
    expect(sessionNotOnOrAfterOf('%%%')).toBeNull();
  });
});
