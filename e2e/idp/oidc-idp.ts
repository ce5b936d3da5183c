/**
 * A small OpenID Connect Provider for tests, built on `oidc-provider`.
 *
 * Like the SAML test IdP it is independent of the SSO library the portal uses (@boxyhq/saml-jackson
 * and its openid-client are never imported here), so a bug in that library cannot be mirrored by
 * the provider that tests it. Everything lives in memory: keys are generated at start, clients
 * and users are given, and nothing is written to disk.
 *
 * Interactions are deliberately trivial so that a browser and a plain HTTP client can both get
 * through them: a login page with one button per user ("Sign in as <email>") and a Cancel button;
 * consent is granted with the login (there is no consent page). Every authorization request shows
 * the login page again, even when the browser still has a session at the provider, so a test
 * always picks its user explicitly (as with the SAML test IdP).
 *
 * This module must stay free of test-framework imports: Playwright specs and vitest tests both
 * import it.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
// @ts-expect-error -- oidc-provider ships no type declarations (no @types package installed); the
// few shapes used here are typed below.
import ProviderImpl, { interactionPolicy as policyImpl } from 'oidc-provider';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface OidcTestClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  /**
   * How the client authenticates at the token endpoint. Default `client_secret_post`, which is
   * what openid-client (and so the SSO library) uses when it is given a secret.
   */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
}

export interface OidcTestUser {
  sub: string;
  email: string;
  given_name?: string;
  family_name?: string;
  groups?: string[];
  /** Authentication methods to report in the ID token's `amr` claim (e.g. ['pwd', 'mfa']). */
  amr?: string[];
  /** The authentication context class to report in the ID token's `acr` claim (e.g. 'https://refeds.org/profile/mfa'). */
  acr?: string;
  /** Default true; null sends no `email_verified` claim at all (as Microsoft Entra ID does). */
  email_verified?: boolean | null;
  /**
   * An attack on the relying party, played on this user's token response (tests of the portal's
   * checks): `foreign_key` re-signs the ID token with a key the provider never published, under
   * the provider's own `kid`; `future_iat` re-signs it with the provider's key and an `iat` one
   * hour ahead; `hang` never answers the token request (the connection stays open).
   */
  tokenAttack?: 'foreign_key' | 'future_iat' | 'hang';
}

export interface StartOidcIdpOptions {
  /** Loopback port to listen on; 0 or absent for any free port. */
  port?: number;
  clients: OidcTestClient[];
  /**
   * The users offered on the login page. Claims are read from this array at every sign-in, so a
   * test may change a user (e.g. its `groups`) between sign-ins.
   */
  users: OidcTestUser[];
}

export interface OidcIdp {
  /** `http://localhost:<port>` (see `startOidcIdp` for why not 127.0.0.1). */
  issuer: string;
  /** `<issuer>/.well-known/openid-configuration`. */
  discoveryUrl: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Scope → claims. `openid email profile` is enough for everything the portal uses: the profile
 * scope carries the names and `groups` (a `groups` scope is offered too, as Okta does). Scope
 * claims are put into the ID token as well as served by the userinfo endpoint
 * (`conformIdTokenClaims: false`), so a relying party may read either. `amr` (from the login,
 * when the user has one) and `acr` go with `openid`, so it is in every ID token without a `claims` request.
 */
export const OIDC_IDP_CLAIMS = {
  openid: ['sub', 'amr', 'acr'],
  email: ['email', 'email_verified'],
  profile: ['name', 'given_name', 'family_name', 'groups'],
  groups: ['groups'],
} as const;

/**
 * Starts the provider on a loopback port.
 *
 * The issuer host is `localhost`, not `127.0.0.1`: openid-client refuses plain-http endpoints
 * unless told otherwise, and the SSO library allows that only for the host name `localhost`
 * (`@boxyhq/saml-jackson` dist/controller/oauth/oidc-client.js). The server listens on
 * 127.0.0.1 and, where available, on ::1 at the same port, whichever `localhost` resolves to.
 */
export async function startOidcIdp(options: StartOidcIdpOptions): Promise<OidcIdp> {
  const servers: http.Server[] = [];
  const handler: http.RequestListener = (req, res) => dispatch(req, res);
  const v4 = http.createServer(handler);
  await listen(v4, options.port ?? 0, '127.0.0.1');
  servers.push(v4);
  const port = (v4.address() as AddressInfo).port;
  const v6 = http.createServer(handler);
  if (await listen(v6, port, '::1').then(() => true, () => false)) servers.push(v6);

  const issuer = `http://localhost:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = createProvider(issuer, options, privateKey);
  const providerCallback = provider.callback();
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  function dispatch(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/token') {
      attackTokenResponse(res, options.users, { own: privateKey, foreign: foreignKey });
      providerCallback(req, res);
      return;
    }
    if (!path.startsWith('/interaction/')) {
      providerCallback(req, res);
      return;
    }
    interaction(provider, options.users, path, req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      sendHtml(res, 400, page('Sign-in failed', `<p role="alert">${escapeHtml(errorText(err))}</p>`));
    });
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    port,
    close: async () => {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections(); // browsers keep idle connections open
            }),
        ),
      );
    },
  };
}

/**
 * Completes a sign-in at the provider like a browser would, with plain HTTP: follows redirects
 * (keeping the provider's cookies), and on the login page submits the form with the button
 * "Sign in as <email>" (or "Cancel" when `email` is null; `{ sub }` picks the user by subject, for
 * two accounts with one email). Returns the URL the provider finally redirects to outside itself
 * (the relying party's redirect URI with `code`/`state`, or `error`).
 */
export async function signInWithHttpClient(authorizationUrl: string | URL, email: string | null | { sub: string }): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  const origin = url.origin;
  let form: URLSearchParams | undefined;
  let submitted = false;
  for (let hop = 0; hop < 20; hop++) {
    if (url.origin !== origin) return url;
    const headers: Record<string, string> = {};
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: form ? 'POST' : 'GET', headers, body: form?.toString(), redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(/;\s*/);
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const expired = attrs.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()),
      );
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(eq + 1));
    }
    form = undefined;
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      url = new URL(location, url);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200 || submitted) {
      throw new Error(`the OpenID provider answered ${res.status} at ${url.pathname}: ${html.replace(/<[^>]+>/g, ' ').trim().slice(0, 300)}`);
    }
    // The login page (see renderLogin): submit the form that holds the wanted button.
    const label = email === null ? 'Cancel' : typeof email === 'string' ? `Sign in as ${escapeHtml(email)}` : `sub ${email.sub}`;
    const button =
      typeof email === 'object' && email !== null
        ? new RegExp(`<button type="submit" name="(sub)" value="(${escapeRegExp(escapeHtml(email.sub))})">`).exec(html)
        : new RegExp(`<button type="submit" name="([^"]+)" value="([^"]*)">${escapeRegExp(label)}</button>`).exec(html);
    const forms = button ? [...html.slice(0, button.index).matchAll(/<form method="post" action="([^"]+)"/g)] : [];
    const action = forms.at(-1)?.[1];
    if (!button || !action) throw new Error(`no "${label}" button on the OpenID provider's page at ${url.pathname}`);
    url = new URL(unescapeHtml(action), url);
    form = new URLSearchParams({ [unescapeHtml(button[1])]: unescapeHtml(button[2]) });
    submitted = true;
  }
  throw new Error('too many redirects at the OpenID provider');
}

// ---------------------------------------------------------------------------------------------
// The provider
// ---------------------------------------------------------------------------------------------

/** The parts of oidc-provider's API used here (it ships no types). */
interface Interaction {
  uid: string;
  params: Record<string, unknown> & { client_id: string; scope?: string; claims?: string };
  prompt: { name: string; details: Record<string, unknown> };
  session?: { accountId?: string };
}
interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  save(): Promise<string>;
}
interface Provider {
  callback(): http.RequestListener;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<Interaction>;
  interactionFinished(req: http.IncomingMessage, res: http.ServerResponse, result: Record<string, unknown>, opts?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: new (init: { accountId: string; clientId: string }) => Grant;
}
interface CheckCtx {
  oidc: { result?: { login?: unknown } };
}
const Provider = ProviderImpl as new (issuer: string, configuration: Record<string, unknown>) => Provider;
const interactionPolicy = policyImpl as {
  base(): { get(name: string): { checks: { add(check: unknown): void } } };
  Check: (new (reason: string, description: string, check: (ctx: CheckCtx) => boolean) => unknown) & {
    REQUEST_PROMPT: boolean;
    NO_NEED_TO_PROMPT: boolean;
  };
};

function createProvider(issuer: string, options: StartOidcIdpOptions, privateKey: KeyObject): Provider {
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

  // Always show the login page for a new authorization request; the request resumed after the
  // login form has its result and goes on.
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.get('login').checks.add(
    new Check('test_op_always_login', 'the test OP asks who signs in every time', (ctx) =>
      ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
    ),
  );

  return new Provider(issuer, {
    clients: options.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...c,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    claims: OIDC_IDP_CLAIMS,
    conformIdTokenClaims: false,
    // PKCE for every client (the SSO library always sends S256).
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    adapter: memoryAdapter(),
    // Explicit lifetimes (seconds; the defaults print a notice each).
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60, AccessToken: 600, IdToken: 600 },
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in failed', `<h1>Test OpenID Provider</h1><p role="alert">${escapeHtml(out.error)}: ${escapeHtml(out.error_description ?? '')}</p>`);
    },
    interactions: { policy, url: (_ctx: unknown, i: { uid: string }) => `/interaction/${i.uid}` },
    findAccount: (_ctx: unknown, sub: string) => {
      const user = options.users.find((u) => u.sub === sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => claimsOf(user) };
    },
  });
}

/**
 * Storage for the provider's artifacts (sessions, interactions, grants, codes, tokens), private to
 * this instance and in memory; expired entries are dropped when read. Written here rather than
 * using the library's built-in one only because that one announces itself as unfit for production
 * on every start.
 */
function memoryAdapter() {
  type Entry = { payload: Record<string, unknown>; expiresAt: number };
  const entries = new Map<string, Entry>();
  const sessionsByUid = new Map<string, string>();
  const byGrant = new Map<string, Set<string>>();
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    const find = async (id: string | undefined) => {
      const e = id === undefined ? undefined : entries.get(key(id));
      if (e && e.expiresAt <= Date.now()) entries.delete(key(id!));
      return e && e.expiresAt > Date.now() ? e.payload : undefined;
    };
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (model === 'Session') sessionsByUid.set(payload.uid as string, id);
        if (typeof payload.grantId === 'string') {
          const members = byGrant.get(payload.grantId) ?? new Set<string>();
          byGrant.set(payload.grantId, members.add(key(id)));
        }
      },
      find,
      findByUid: async (uid: string) => find(sessionsByUid.get(uid)),
      findByUserCode: async () => undefined, // no device flow
      async consume(id: string) {
        const e = entries.get(key(id));
        if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const k of byGrant.get(grantId) ?? []) entries.delete(k);
        byGrant.delete(grantId);
      },
    };
  };
}

/**
 * Plays the user's `tokenAttack` on a token response: the body oidc-provider writes is held back,
 * and its ID token re-signed (or the answer withheld) before it leaves. Responses of users without
 * an attack pass unchanged.
 */
function attackTokenResponse(res: http.ServerResponse, users: OidcTestUser[], keys: { own: KeyObject; foreign: KeyObject }): void {
  const end = res.end.bind(res) as (chunk?: unknown) => http.ServerResponse;
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  res.write = ((chunk: unknown) => {
    if (chunk) chunks.push(Buffer.from(chunk as Buffer));
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
    let body = Buffer.concat(chunks);
    let json: { id_token?: unknown } | null = null;
    try {
      json = JSON.parse(body.toString('utf8')) as { id_token?: unknown };
    } catch {
      json = null;
    }
    const token = typeof json?.id_token === 'string' ? json.id_token : null;
    const [h, p] = token?.split('.') ?? [];
    const payload = p ? (JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>) : null;
    const attack = payload ? users.find((u) => u.sub === payload.sub)?.tokenAttack : undefined;
    if (attack === 'hang') return res; // never answered
    if (json && payload && (attack === 'foreign_key' || attack === 'future_iat')) {
      if (attack === 'future_iat') payload.iat = Math.floor(Date.now() / 1000) + 3600;
      const input = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      const signature = sign('sha256', Buffer.from(input), attack === 'foreign_key' ? keys.foreign : keys.own).toString('base64url');
      json.id_token = `${input}.${signature}`;
      body = Buffer.from(JSON.stringify(json));
      if (!res.headersSent) res.setHeader('content-length', String(body.length));
    }
    if (body.length) write(body);
    return end();
  }) as typeof res.end;
}

function claimsOf(u: OidcTestUser): Record<string, unknown> {
  const name = [u.given_name, u.family_name].filter(Boolean).join(' ');
  return {
    sub: u.sub,
    email: u.email,
    ...(u.email_verified === null ? {} : { email_verified: u.email_verified ?? true }),
    ...(u.given_name !== undefined ? { given_name: u.given_name } : {}),
    ...(u.family_name !== undefined ? { family_name: u.family_name } : {}),
    ...(name ? { name } : {}),
    ...(u.groups !== undefined ? { groups: [...u.groups] } : {}),
  };
}

/** GET /interaction/:uid (the login page), POST /interaction/:uid/login and /interaction/:uid/cancel. */
async function interaction(
  provider: Provider,
  users: OidcTestUser[],
  path: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const [, , uid, action] = path.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('this sign-in page belongs to another request');

  if (req.method === 'GET' && action === undefined) {
    // Consent is given with the login; should the provider still ask for it, grant it here.
    if (details.prompt.name === 'consent') {
      const accountId = details.session?.accountId;
      if (!accountId) throw new Error('consent asked without a signed-in user');
      const grantId = await grantFor(provider, details, accountId);
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    renderLogin(res, details, users);
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const sub = new URLSearchParams(await readBody(req)).get('sub');
    const user = users.find((u) => u.sub === sub);
    if (!user) throw new Error('unknown user');
    const grantId = await grantFor(provider, details, user.sub);
    await provider.interactionFinished(
      req,
      res,
      {
        login: { accountId: user.sub, remember: false, ...(user.amr ? { amr: user.amr } : {}), ...(user.acr ? { acr: user.acr } : {}) },
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (req.method === 'POST' && action === 'cancel') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  res.writeHead(405, { allow: 'GET, POST' }).end();
}

/** A grant of everything the request asked for: the requested scopes and any `claims` parameter. */
async function grantFor(provider: Provider, details: Interaction, accountId: string): Promise<string> {
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  if (details.params.scope) grant.addOIDCScope(details.params.scope);
  if (details.params.claims) {
    const requested = JSON.parse(details.params.claims) as Record<string, Record<string, unknown> | null>;
    const names = Object.values(requested).flatMap((v) => (v ? Object.keys(v) : []));
    if (names.length) grant.addOIDCClaims(names);
  }
  return grant.save();
}

function renderLogin(res: http.ServerResponse, details: Interaction, users: OidcTestUser[]): void {
  const base = `/interaction/${encodeURIComponent(details.uid)}`;
  const buttons = users
    .map((u) => `<li><button type="submit" name="sub" value="${escapeHtml(u.sub)}">Sign in as ${escapeHtml(u.email)}</button></li>`)
    .join('');
  sendHtml(
    res,
    200,
    page(
      'Test OpenID Provider sign-in',
      `<h1>Test OpenID Provider</h1><p>Signing in to <code>${escapeHtml(details.params.client_id)}</code></p>` +
        `<form method="post" action="${base}/login"><ul>${buttons}</ul></form>` +
        `<form method="post" action="${base}/cancel"><button type="submit" name="cancel" value="1">Cancel</button></form>`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > limit) reject(new Error('request body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function errorText(err: unknown): string {
  const e = err as { error_description?: string; message?: string };
  return e?.error_description ?? e?.message ?? String(err);
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const unescapeHtml = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`;
}

function sendHtml(res: http.ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}
