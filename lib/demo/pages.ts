import 'server-only';
import { readBody } from '../api/body';
import { anyWebOrigin, AUTO_SUBMIT_SCRIPT, htmlResponse } from '../http/html';
import { env } from '../env';
import { AppError } from '../errors';
import { inflateRawSync } from 'node:zlib';
import { sp } from '../sso/sp';
import { DEMO_USERS, demoIdp } from './idp';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function html(title: string, body: string, status = 200, autoSubmit = false, formAction: string[] = []): Response {
  return htmlResponse(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:ui-sans-serif,system-ui,sans-serif;background:#fffbeb;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;border:2px dashed #f59e0b;border-radius:8px;padding:24px 28px;max-width:520px;width:100%}
h1{font-size:20px;margin:0 0 4px}.tag{color:#b45309;font-size:12px;font-weight:600;text-transform:uppercase}
label{display:block;font-size:14px;margin:12px 0 4px}input,select{width:100%;padding:6px 8px;border:1px solid #d4d4d8;border-radius:6px;font:inherit}
button{margin-top:16px;padding:8px 16px;border:0;border-radius:6px;background:#18181b;color:#fff;font:inherit;cursor:pointer}</style></head>
<body><main>${body}</main></body></html>`,
    { status, autoSubmit, formAction },
  );
}

const disabled = () => html('Not available', '<h1>Not available</h1><p>The demo identity provider runs only in demo mode.</p>', 404);

export function demoMetadata(): Response {
  if (!env().demoMode) return disabled();
  return new Response(demoIdp().metadataXml(), { headers: { 'content-type': 'application/samlmetadata+xml; charset=utf-8' } });
}

/** GET with SAMLRequest: the sign-in page where you pick a sample user and edit their groups. */
export function demoSignInPage(url: URL): Response {
  if (!env().demoMode) return disabled();
  const samlRequest = url.searchParams.get('SAMLRequest');
  if (!samlRequest) return html('Demo IdP', '<h1>Demo identity provider</h1><p>Start at <a href="/signin">/signin</a> with an address @demo.example.com.</p>', 400);
  let request;
  try {
    request = demoIdp().parseAuthnRequest(samlRequest);
  } catch {
    return html('Demo IdP', '<h1>Bad request</h1><p>The SAML request could not be read.</p>', 400);
  }
  const options = DEMO_USERS.map((u) => `<option value="${esc(u.email)}">${esc(`${u.firstName} ${u.lastName} — ${u.email} (${u.groups.join(', ')})`)}</option>`).join('');
  return html(
    'Demo IdP sign-in',
    `<p class="tag">Demo identity provider — for trying the portal only</p><h1>Sign in</h1>
<p>Pick a sample user. Groups decide the roles through the tenant's role mappings.</p>
<form method="post" action="/demo-idp/sso">
<input type="hidden" name="requestId" value="${esc(request.id)}">
<input type="hidden" name="RelayState" value="${esc(url.searchParams.get('RelayState') ?? '')}">
<label for="user">User</label><select id="user" name="user">${options}</select>
<label for="groups">Groups (comma-separated; empty keeps the user's own)</label><input id="groups" name="groups" placeholder="Engineering, IT">
<button type="submit">Sign in</button></form>`,
  );
}

/** POST: signs a response for the chosen user and posts it to the portal's ACS. */
export async function demoSignIn(req: Request): Promise<Response> {
  if (!env().demoMode) return disabled();
  let body;
  try {
    body = await readBody(req, 64 * 1024);
  } catch (e) {
    if (e instanceof AppError && e.status === 413) return html('Demo IdP', '<h1>Bad request</h1><p>The form is too large.</p>', 413);
    throw e;
  }
  const form = new URLSearchParams(body);
  const user = DEMO_USERS.find((u) => u.email === form.get('user'));
  const requestId = form.get('requestId');
  if (!user || !requestId) return html('Demo IdP', '<h1>Bad request</h1><p>Pick one of the sample users.</p>', 400);
  const typed = (form.get('groups') ?? '').split(',').map((g) => g.trim()).filter(Boolean).slice(0, 20);
  const s = sp();
  const samlResponse = demoIdp().buildResponse({
    acsUrl: s.acsUrl,
    audience: s.entityId,
    inResponseTo: requestId,
    nameId: user.email,
    attributes: { email: user.email, firstName: user.firstName, lastName: user.lastName, groups: typed.length ? typed : user.groups },
  });
  return html(
    'Signing in…',
    `<p class="tag">Demo identity provider</p><h1>Signing in…</h1><form method="post" action="${esc(s.acsUrl)}">
<input type="hidden" name="SAMLResponse" value="${esc(samlResponse)}"><input type="hidden" name="RelayState" value="${esc(form.get('RelayState') ?? '')}">
<noscript><button type="submit">Continue</button></noscript></form><script>${AUTO_SUBMIT_SCRIPT}</script>`,
    200,
    true,
    // The ACS redirects on to /app or to an application: Chrome checks form-action on each hop.
    [new URL(s.acsUrl).origin, ...anyWebOrigin()],
  );
}

/**
 * The demo IdP's single logout service: the portal's signed LogoutRequest (a person signed out of
 * the portal) is answered with a signed LogoutResponse back to the portal's SLO URL.
 */
export function demoSingleLogout(url: URL): Response {
  if (!env().demoMode) return disabled();
  const samlRequest = url.searchParams.get('SAMLRequest');
  let id: string | undefined;
  try {
    id = samlRequest ? /\sID="([^"]+)"/.exec(inflateRawSync(Buffer.from(samlRequest, 'base64'), { maxOutputLength: 64 * 1024 }).toString('utf8'))?.[1] : undefined;
  } catch {
    id = undefined;
  }
  if (!id) return html('Demo IdP', '<h1>Signed out</h1><p>You are signed out of the demo identity provider.</p>');
  const idp = demoIdp();
  const answer = idp.buildLogoutResponseXml({ destination: sp().sloUrl, inResponseTo: id });
  const relayState = url.searchParams.get('RelayState') ?? undefined;
  return new Response(null, { status: 302, headers: { location: `${sp().sloUrl}?${idp.redirectQuery('SAMLResponse', answer, { relayState })}`, 'cache-control': 'no-store' } });
}
