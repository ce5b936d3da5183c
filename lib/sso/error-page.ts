import { currentBranding } from '../branding/branding';
import { isDatabaseUnavailable } from '../errors';
import { checkHealth } from '../health';
import { htmlResponse } from '../http/html';
import { log } from '../log';
import { LOGIN_FAILURES, type LoginFailure } from './failures';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page a refused sign-in ends on: a 4xx, what happened in one sentence, what was typed (when
 * the person typed it) with a "Try again" that keeps it, and the typed reason as small print for support.
 */
export function signInErrorPage(reason: LoginFailure, status: number, typed: { email?: string | null } = {}): Response {
  const email = typed.email?.slice(0, 320) ?? null;
  const again = email ? `/signin?email=${encodeURIComponent(email)}` : '/signin';
  return messagePage({
    title: 'Sign-in failed',
    sentence: LOGIN_FAILURES[reason],
    status,
    reason,
    body: `${email ? `<p>You entered <strong data-typed>${esc(email)}</strong>.</p>` : ''}<p><a href="${esc(again)}">Try again</a></p>`,
  });
}

/** A page of the sign-in's style: a title, one sentence (an alert when it reports a failure), a link, and the reason code as small print. */
export function messagePage(o: { title: string; sentence: string; status: number; reason?: string; body?: string }): Response {
  const brand = currentBranding();
  const accent = brand.accentColor ? `a{color:${brand.accentColor}}` : '';
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(o.title)} · ${esc(brand.productName)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{font-family:ui-sans-serif,system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;padding:16px}
main{background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px 28px;max-width:440px}h1{font-size:20px;margin:0 0 8px}
p{color:#52525b;font-size:14px;line-height:1.5}code{background:#f4f4f5;padding:1px 4px;border-radius:4px}a{color:#18181b}
.small{font-size:12px;color:#52525b}.brand{display:flex;align-items:center;gap:8px;font-weight:600;margin:0 0 16px}.brand img{height:28px;max-width:160px;object-fit:contain}${accent}</style></head>
<body><main><p class="brand" data-brand>${brand.logoUrl ? `<img src="${esc(brand.logoUrl)}" alt="">` : ''}${esc(brand.productName)}</p><h1>${esc(o.title)}</h1><p${o.status >= 400 ? ' role="alert"' : ''}>${esc(o.sentence)}</p>
${o.body ?? '<p><a href="/signin">Sign in</a></p>'}
${o.reason ? `<p class="small">Reason code for support: <code data-reason>${esc(o.reason)}</code></p>` : ''}</main></body></html>`;
  return htmlResponse(html, { status: o.status });
}

/**
 * Runs one step of a sign-in (`/sso`, the ACS, the OIDC redirect, the callback); when the database
 * is unreachable, the answer is the error page with 503, `service_unavailable` and Retry-After,
 * never an empty 500 nor a refusal blamed on the person or the IdP.
 */
export async function unlessDatabaseDown<T = Response>(step: () => Promise<T>): Promise<T | Response> {
  try {
    return await step();
  } catch (err) {
    if (!(await isDatabaseFault(err))) throw err;
    log('error', 'sign-in step failed: database unavailable', { err });
    const res = signInErrorPage('service_unavailable', 503);
    res.headers.set('retry-after', '5');
    return res;
  }
}

/** Is this error the database's (the error itself says so, or the database does not answer now)? */
export async function isDatabaseFault(err: unknown): Promise<boolean> {
  if (isDatabaseUnavailable(err)) return true;
  return !(await checkHealth()).ok;
}
