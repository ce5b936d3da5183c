import { createHash, createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInWithHttpClient, startOidcIdp, type OidcIdp, type OidcTestUser } from './oidc-idp';

// A relying party that is never contacted: the HTTP client stops at the redirect to it.
const CLIENT = { client_id: 'portal-test', client_secret: 'portal-test-secret-0123456789', redirect_uris: ['http://localhost:9/callback'] };
const ada: OidcTestUser = {
  sub: 'ada-0001',
  email: 'ada@example.com',
  given_name: 'Ada',
  family_name: 'Lovelace',
  groups: ['Engineering', 'Everyone'],
  amr: ['pwd', 'mfa'],
};
const bob: OidcTestUser = { sub: 'bob-0002', email: 'bob@example.com' };

let idp: OidcIdp;
let discovery: Record<string, any>;

beforeAll(async () => {
  idp = await startOidcIdp({ clients: [CLIENT], users: [ada, bob] });
  discovery = await (await fetch(idp.discoveryUrl)).json();
});
afterAll(() => idp?.close());

const b64url = (b: Buffer) => b.toString('base64url');

/** The authorization request an RP would send: code flow with PKCE, state and nonce. */
function authorizationRequest(scope: string, extra: Record<string, string> = {}) {
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT.client_id,
    redirect_uri: CLIENT.redirect_uris[0],
    response_type: 'code',
    scope,
    state,
    nonce,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    ...extra,
  }).toString();
  return { url, verifier, state, nonce };
}

async function exchange(code: string, verifier: string, secret = CLIENT.client_secret) {
  const res = await fetch(discovery.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CLIENT.redirect_uris[0],
      code_verifier: verifier,
      client_id: CLIENT.client_id,
      client_secret: secret,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Verifies an RS256 ID token against the provider's JWKS and returns its payload. */
async function verifyIdToken(idToken: string): Promise<Record<string, any>> {
  const [h, p, s] = idToken.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  expect(header.alg).toBe('RS256');
  const { keys } = (await (await fetch(discovery.jwks_uri)).json()) as { keys: (JsonWebKey & { kid: string })[] };
  const jwk = keys.find((k) => k.kid === header.kid);
  expect(jwk, 'signing key in the JWKS').toBeDefined();
  expect(jwk).not.toHaveProperty('d'); // the JWKS publishes no private parts
  const ok = verify('RSA-SHA256', Buffer.from(`${h}.${p}`), createPublicKey({ key: jwk!, format: 'jwk' }), Buffer.from(s, 'base64url'));
  expect(ok, 'ID token signature').toBe(true);
  return JSON.parse(Buffer.from(p, 'base64url').toString());
}

async function signIn(user: OidcTestUser, scope = 'openid email profile') {
  const req = authorizationRequest(scope);
  const back = await signInWithHttpClient(req.url, user.email);
  expect(back.origin + back.pathname).toBe(CLIENT.redirect_uris[0]);
  expect(back.searchParams.get('state')).toBe(req.state);
  expect(back.searchParams.get('iss')).toBe(idp.issuer);
  const code = back.searchParams.get('code');
  expect(code).toBeTruthy();
  const token = await exchange(code!, req.verifier);
  expect(token.status).toBe(200);
  const claims = await verifyIdToken(token.body.id_token);
  expect(claims).toMatchObject({ iss: idp.issuer, aud: CLIENT.client_id, sub: user.sub, nonce: req.nonce });
  const userinfo = await (await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${token.body.access_token}` } })).json();
  return { claims, userinfo, code: code!, verifier: req.verifier };
}

describe('test OpenID provider', () => {
  it('publishes a discovery document for the authorization code flow on localhost', () => {
    expect(idp.issuer).toMatch(/^http:\/\/localhost:\d+$/);
    expect(idp.discoveryUrl).toBe(`${idp.issuer}/.well-known/openid-configuration`);
    expect(discovery).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: expect.stringMatching(new RegExp(`^${idp.issuer}/`)),
      token_endpoint: expect.stringMatching(new RegExp(`^${idp.issuer}/`)),
      userinfo_endpoint: expect.stringMatching(new RegExp(`^${idp.issuer}/`)),
      jwks_uri: expect.stringMatching(new RegExp(`^${idp.issuer}/`)),
      response_types_supported: expect.arrayContaining(['code']),
      code_challenge_methods_supported: expect.arrayContaining(['S256']),
      id_token_signing_alg_values_supported: expect.arrayContaining(['RS256']),
      token_endpoint_auth_methods_supported: expect.arrayContaining(['client_secret_post', 'client_secret_basic']),
    });
    expect(discovery.scopes_supported).toEqual(expect.arrayContaining(['openid', 'email', 'profile']));
    expect(discovery.claims_supported).toEqual(
      expect.arrayContaining(['sub', 'email', 'email_verified', 'name', 'given_name', 'family_name', 'groups', 'amr']),
    );
  });

  it('serves a login page with one accessible button per user', async () => {
    const res = await fetch(authorizationRequest('openid').url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const login = await fetch(new URL(res.headers.get('location')!, idp.issuer), { headers: { cookie } });
    expect(login.status).toBe(200);
    const html = await login.text();
    expect(html).toContain('<h1>Test OpenID Provider</h1>');
    expect(html).toContain('>Sign in as ada@example.com</button>');
    expect(html).toContain('>Sign in as bob@example.com</button>');
    expect(html).toContain('>Cancel</button>');
  });

  it('completes a code flow with a plain HTTP client; openid email profile gives every claim in the ID token and userinfo', async () => {
    const { claims, userinfo } = await signIn(ada);
    const expected = {
      sub: 'ada-0001',
      email: 'ada@example.com',
      email_verified: true,
      given_name: 'Ada',
      family_name: 'Lovelace',
      name: 'Ada Lovelace',
      groups: ['Engineering', 'Everyone'],
    };
    expect(claims).toMatchObject({ ...expected, amr: ['pwd', 'mfa'] });
    expect(userinfo).toEqual(expected);
  });

  it('releases claims by scope: openid email gives no names or groups', async () => {
    const { claims, userinfo } = await signIn(ada, 'openid email');
    expect(userinfo).toEqual({ sub: 'ada-0001', email: 'ada@example.com', email_verified: true });
    expect(claims).not.toHaveProperty('given_name');
    expect(claims).not.toHaveProperty('groups');
  });

  it('omits claims a user has not got', async () => {
    const { userinfo } = await signIn(bob);
    expect(userinfo).toEqual({ sub: 'bob-0002', email: 'bob@example.com', email_verified: true });
  });

  it('reads users at every sign-in, so a test can change their groups', async () => {
    const before = ada.groups;
    ada.groups = ['Sales'];
    try {
      expect((await signIn(ada)).userinfo.groups).toEqual(['Sales']);
    } finally {
      ada.groups = before;
    }
  });

  it('refuses a reused code, a wrong client secret and a wrong PKCE verifier', async () => {
    const first = await signIn(bob);
    const reused = await exchange(first.code, first.verifier);
    expect(reused.status).toBe(400);
    expect(reused.body.error).toBe('invalid_grant');

    const req = authorizationRequest('openid email');
    const code = (await signInWithHttpClient(req.url, bob.email)).searchParams.get('code')!;
    const badSecret = await exchange(code, req.verifier, 'not-the-secret');
    expect(badSecret.status).toBe(401);
    expect(badSecret.body.error).toBe('invalid_client');

    const req2 = authorizationRequest('openid email');
    const code2 = (await signInWithHttpClient(req2.url, bob.email)).searchParams.get('code')!;
    const badVerifier = await exchange(code2, b64url(randomBytes(32)));
    expect(badVerifier.status).toBe(400);
    expect(badVerifier.body.error).toBe('invalid_grant');
  });

  it('requires PKCE and a registered redirect URI', async () => {
    const noPkce = authorizationRequest('openid');
    noPkce.url.searchParams.delete('code_challenge');
    noPkce.url.searchParams.delete('code_challenge_method');
    const res = await fetch(noPkce.url, { redirect: 'manual' });
    const back = new URL(res.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');

    const other = authorizationRequest('openid', { redirect_uri: 'http://localhost:9/elsewhere' });
    const refused = await fetch(other.url, { redirect: 'manual' });
    expect(refused.status).toBe(400); // an unregistered redirect URI is never redirected to
    expect(refused.headers.get('location')).toBeNull();
  });

  it('answers access_denied when the user cancels', async () => {
    const req = authorizationRequest('openid email');
    const back = await signInWithHttpClient(req.url, null);
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBe(req.state);
    expect(back.searchParams.get('code')).toBeNull();
  });
});
