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

/** Sessions of this app: cookie id → { claims, idToken } or a pending sign-in { verifier, state, nonce }. */
const sessions = new Map();
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function sessionOf(req) {
  const id = /(?:^|;\s*)app_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  return id && sessions.has(id) ? { id, ...sessions.get(id) } : null;
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
<dt>Groups</dt><dd data-testid="groups">${esc((c.groups ?? []).join(', ') || 'none')}</dd></dl>
<form method="post" action="/logout"><button type="submit">Sign out</button></form>`);
  }

  if (url.pathname === '/login') {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const id = randomBytes(16).toString('hex');
    sessions.set(id, { pending: { verifier, state, nonce } });
    const email = url.searchParams.get('email');
    const to = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${APP_URL}/callback`,
      scope: 'openid profile email organization roles groups offline_access',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(email ? { login_hint: email } : {}),
    });
    return redirect(res, to.href, { 'set-cookie': `app_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
  }

  if (url.pathname === '/callback') {
    if (!s?.pending) return redirect(res, '/');
    if (url.searchParams.get('error')) return page(res, `<p role="alert">Sign-in refused: ${esc(url.searchParams.get('error_description') ?? url.searchParams.get('error'))}</p><p><a href="/">Back</a></p>`, 403);
    const tokens = await oidc.authorizationCodeGrant(config, url, { pkceCodeVerifier: s.pending.verifier, expectedState: s.pending.state, expectedNonce: s.pending.nonce });
    // A new session id once signed in: an id planted before the sign-in gains nothing.
    const id = randomBytes(16).toString('hex');
    sessions.delete(s.id);
    sessions.set(id, { claims: tokens.claims(), idToken: tokens.id_token, refreshToken: tokens.refresh_token });
    return redirect(res, '/', { 'set-cookie': `app_session=${id}; Path=/; HttpOnly; SameSite=Lax` });
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
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      const { payload } = await jose.jwtVerify(new URLSearchParams(body).get('logout_token') ?? '', jwks, {
        issuer: config.serverMetadata().issuer,
        audience: CLIENT_ID,
        typ: 'logout+jwt',
      });
      if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload) throw new Error('not a logout token');
      for (const [id, v] of sessions) if (v.claims && (v.claims.sid === payload.sid || (!payload.sid && v.claims.sub === payload.sub))) sessions.delete(id);
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
