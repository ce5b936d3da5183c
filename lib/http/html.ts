import { createHash } from 'node:crypto';
import { env } from '../env';

/**
 * HTML answered by route handlers (sign-in errors, setup-link pages, the SAML POST binding form,
 * the demo IdP): each carries its own strict Content-Security-Policy, since the pages' nonce
 * policy (proxy.ts) covers React pages only. No script runs unless it is the one auto-submit
 * snippet, allowed by its hash; forms post only to this origin and the origins given.
 */
export const AUTO_SUBMIT_SCRIPT = 'document.forms[0].submit()';
const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT_SCRIPT).digest('base64')}'`;
/** Goes to the page's one link at once (a navigation by script, which form-action does not govern). */
export const NAVIGATE_SCRIPT = "location.replace(document.getElementById('to').href)";
const NAVIGATE_HASH = `'sha256-${createHash('sha256').update(NAVIGATE_SCRIPT).digest('base64')}'`;

export function handlerCsp(opts: { formAction?: readonly string[]; autoSubmit?: boolean; navigate?: boolean } = {}): string {
  const scripts = [opts.autoSubmit ? AUTO_SUBMIT_HASH : null, opts.navigate ? NAVIGATE_HASH : null].filter(Boolean);
  return [
    "default-src 'none'",
    `script-src ${scripts.length ? scripts.join(' ') : "'none'"}`,
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    `form-action 'self'${(opts.formAction ?? []).map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/**
 * The policy of the console and sign-in pages (set by proxy.ts with a fresh nonce per request;
 * Next.js puts the nonce on its own scripts). Inline styles stay allowed (style attributes).
 */
export function pagesCsp(nonce: string, dev = false, formAction: readonly string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    `form-action 'self'${formAction.map((o) => ` ${o}`).join('')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** HSTS once the portal is served over https (PUBLIC_URL), for every answer. */
export function hstsHeader(): string | null {
  return env().PUBLIC_URL.startsWith('https://') ? 'max-age=31536000' : null;
}

export function htmlResponse(
  html: string,
  opts: { status?: number; formAction?: readonly string[]; autoSubmit?: boolean; navigate?: boolean; headers?: Record<string, string> } = {},
): Response {
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': handlerCsp(opts),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    ...opts.headers,
  });
  const hsts = hstsHeader();
  if (hsts) headers.set('strict-transport-security', hsts);
  return new Response(html, { status: opts.status ?? 200, headers });
}

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * A page that posts `fields` to `action` at once (SAML HTTP-POST binding), with a Continue button
 * when scripts are off. `action` must be a checked URL; the CSP lets the form post only there.
 */
export function autoPostPage(action: URL, fields: Record<string, string>, title = 'Signing in…'): Response {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('');
  return htmlResponse(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px"><form method="post" action="${escapeHtml(action.href)}">${inputs}` +
      `<noscript><p>Scripts are off: press Continue to go on.</p><button type="submit">Continue</button></noscript></form>` +
      `<script>${AUTO_SUBMIT_SCRIPT}</script></body></html>`,
    { formAction: [action.origin], autoSubmit: true },
  );
}

/**
 * Sends the browser to `to` from a page rather than with a 302: a form submitted on a console page
 * (form-action 'self') may not be redirected to another origin (an IdP), but a page may navigate.
 */
export function navigationPage(to: URL, label: string): Response {
  return htmlResponse(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(label)}</title></head>` +
      `<body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px"><p><a id="to" href="${escapeHtml(to.href)}">${escapeHtml(label)}</a></p>` +
      `<script>${NAVIGATE_SCRIPT}</script></body></html>`,
    { navigate: true },
  );
}

/**
 * form-action for a handler page whose form leads, through redirects, to an origin not known in
 * advance (an organisation's IdP, an application): Chrome checks every redirect of a submission.
 * Any https origin (and http on loopback in development); never `javascript:` or `data:`.
 */
export const anyWebOrigin = (): string[] => (env().loopbackHttp ? ['https:', 'http://localhost:*', 'http://127.0.0.1:*'] : ['https:']);
