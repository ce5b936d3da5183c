// An example product that signs its users in through the portal with standard OpenID Connect
// (openid-client): "Sign in with SSO" shows who signed in, their organisation and roles, and a
// back-channel logout from the portal ends the session here at once.
//
//   npm run example            (reads the app the demo registered from .data/example-app.json)
//   PORTAL_URL=… CLIENT_ID=… CLIENT_SECRET=… APP_URL=http://localhost:3001 node examples/product/server.mjs
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import * as jose from 'jose';
import * as oidc from 'openid-client';

const file = path.join(process.env.DATA_DIR ?? '.data', 'example-app.json');
const saved = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
const PORTAL_URL = process.env.PORTAL_URL ?? saved.portalUrl ?? 'http://localhost:3000';
const APP_URL = process.env.APP_URL ?? saved.appUrl ?? 'http://localhost:3001';
const CLIENT_ID = process.env.CLIENT_ID ?? saved.clientId;
const CLIENT_SECRET = process.env.CLIENT_SECRET ?? saved.clientSecret;
if (!CLIENT_ID || !CLIENT_SECRET) {
  console.error(`No application: set CLIENT_ID and CLIENT_SECRET, or start the portal in demo mode first (it writes ${file}).`);
  process.exit(1);
}

const config = await oidc.discovery(new URL(PORTAL_URL), CLIENT_ID, CLIENT_SECRET, undefined, {
  execute: new URL(PORTAL_URL).protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
});
const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));

/** By cookie id: sessions of this app { claims, idToken, until }, and sign-ins under way { verifier, state, nonce, until }. */
const sessions = new Map();
const pendings = new Map();
const PENDING_MS = 10 * 60_000;
const SESSION_MS = 8 * 3600_000;
const MAX_PENDING = 10_000;
/**
 * Adds to `map`, whose entries all live `ms` (so the oldest come first): the expired ones go, and
 * beyond `max` the oldest. Sign-ins under way last 10 minutes (at most 10,000 at once), sessions 8 hours.
 */
function remember(map, id, value, ms, max = Infinity) {
  const now = Date.now();
  for (const [k, v] of map) {
    if (v.until >= now && map.size < max) break;
    map.delete(k);
  }
  map.set(id, { ...value, until: now + ms });
}
/** Logout tokens seen (jti → until): one is never applied twice. */
const seenLogouts = new Map();
const cookie = (id) => `${APP_URL.startsWith('https:') ? '__Host-' : ''}app_session=${id}; Path=/; HttpOnly; SameSite=Lax${APP_URL.startsWith('https:') ? '; Secure' : ''}`;
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sessionOf(req) {
  // On https only the __Host- cookie counts (no sibling subdomain or plain-http page can set it).
  const name = APP_URL.startsWith('https:') ? '__Host-app_session' : 'app_session';
  const id = new RegExp(`(?:^|;\\s*)${name}=([^;]+)`).exec(req.headers.cookie ?? '')?.[1];
  const s = id ? sessions.get(id) : undefined;
  if (s && s.until > Date.now()) return { id, ...s };
  const pending = id ? pendings.get(id) : undefined;
  return pending && pending.until > Date.now() ? { id, pending } : null;
}
function page(res, body, status = 200, headers = {}) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example product</title></head>
<body style="font-family:system-ui,sans-serif;max-width:640px;margin:40px auto"><h1>Example product</h1>${body}</body></html>`);
}
const redirect = (res, to, headers = {}) => res.writeHead(303, { location: to, ...headers }).end();

async function route(req, res) {
  const url = new URL(req.url, APP_URL);
  const s = sessionOf(req);

  if (url.pathname === '/' && req.method === 'GET') {
    if (!s?.claims) {
      return page(res, `<p>You are not signed in.</p>
<form method="get" action="/login"><label>Work email (optional) <input name="email" type="email"></label>
<button type="submit">Sign in with SSO</button></form>`);
    }
    const c = s.claims;
    return page(res, `<p data-testid="who">Signed in as <strong>${esc(c.name)}</strong> (${esc(c.email)})</p>
<dl><dt>Organisation</dt><dd data-testid="org">${esc(c.org_name)} (${esc(c.org_slug)})</dd>
<dt>Roles</dt><dd data-testid="roles">${esc((c.roles ?? []).join(', ') || 'none')}</dd>
<dt>Groups</dt><dd data-testid="groups">${esc(c._claim_names?.groups ? 'more than 200: ask userinfo' : (c.groups ?? []).join(', ') || 'none')}</dd></dl>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`);
  }

  // "Sign in with SSO", or the portal's start page opening this app (OIDC Core 4: `iss`, `login_hint`).
  if (url.pathname === '/login') {
    if (url.searchParams.has('iss') && url.searchParams.get('iss') !== config.serverMetadata().issuer) return page(res, '<p role="alert">Unknown issuer.</p>', 400);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const id = randomBytes(16).toString('hex');
    remember(pendings, id, { verifier, state, nonce }, PENDING_MS, MAX_PENDING);
    const email = url.searchParams.get('email') || url.searchParams.get('login_hint');
    const to = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${APP_URL}/callback`,
      scope: 'openid profile email organization roles groups offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(email ? { login_hint: email } : {}),
    });
    return redirect(res, to.href, { 'set-cookie': cookie(id) });
  }

  if (url.pathname === '/callback') {
    if (!s?.pending) return redirect(res, '/');
    if (url.searchParams.get('error')) return page(res, `<p role="alert">Sign-in refused: ${esc(url.searchParams.get('error_description') ?? url.searchParams.get('error'))}</p><p><a href="/">Back</a></p>`, 403);
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: s.pending.verifier, expectedState: s.pending.state, expectedNonce: s.pending.nonce });
    // A new session id once signed in: an id planted before the sign-in gains nothing.
    const id = randomBytes(16).toString('hex');
    pendings.delete(s.id);
    remember(sessions, id, { claims: tokens.claims(), idToken: tokens.id_token, refreshToken: tokens.refresh_token }, SESSION_MS);
    return redirect(res, '/', { 'set-cookie': cookie(id) });
  }

  // Only this app's own form signs out (a link or form on another site must not end the session).
  if (url.pathname === '/logout') {
    const fromHere = req.headers['sec-fetch-site'] === 'same-origin' || req.headers.origin === new URL(APP_URL).origin;
    if (req.method !== 'POST' || !fromHere) return page(res, '<p role="alert">Sign out with the button on this app’s page.</p>', 403);
    if (s) sessions.delete(s.id);
    if (!s?.idToken) return redirect(res, '/');
    return redirect(res, oidc.buildEndSessionUrl(config, { id_token_hint: s.idToken, post_logout_redirect_uri: `${APP_URL}/` }).href);
  }

  // OpenID Connect Back-Channel Logout 1.0: the portal says a session ended (sign-out, suspension…).
  if (url.pathname === '/backchannel-logout' && req.method === 'POST') {
    // A form of at most 16 KiB, its length declared: nothing larger is read.
    const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') && Number(req.headers['content-length']) <= 16_384;
    let body = '';
    if (form) for await (const chunk of req) body += chunk;
    try {
      const { payload } = await jose.jwtVerify(new URLSearchParams(body).get('logout_token') ?? '', jwks, {
        issuer: config.serverMetadata().issuer,
        audience: CLIENT_ID,
        typ: 'logout+jwt',
        requiredClaims: ['iat', 'exp', 'jti'],
        maxTokenAge: '5m',
      });
      const event = payload.events?.['http://schemas.openid.net/event/backchannel-logout'];
      if (!event || typeof event !== 'object' || 'nonce' in payload || !(payload.sid || payload.sub)) throw new Error('not a logout token');
      for (const [jti, until] of seenLogouts) if (until < Date.now()) seenLogouts.delete(jti);
      if (seenLogouts.has(payload.jti)) throw new Error('logout token already used');
      seenLogouts.set(payload.jti, payload.exp * 1000);
      for (const [id, v] of sessions) if (payload.sid ? v.claims.sid === payload.sid : v.claims.sub === payload.sub) sessions.delete(id);
      res.writeHead(200, { 'cache-control': 'no-store' }).end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_request', error_description: err.message }));
    }
    return;
  }
  res.writeHead(404).end('not found');
}

const port = Number(new URL(APP_URL).port || 3001);
http
  .createServer((req, res) => route(req, res).catch((err) => page(res, `<p role="alert">${esc(err.message)}</p>`, 500)))
  .listen(port, () => console.log(`Example product on ${APP_URL} (signs in through ${PORTAL_URL})`));
