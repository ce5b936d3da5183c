import 'server-only';
import { currentBranding } from '../branding/branding';
import type { Ctx } from '../audit/types';
import { htmlResponse } from '../http/html';
import { peekPortalLink, usePortalLink } from '../dal/portal-links';
import { findTenant } from '../dal/tenants';
import { SCOPE_NAMES, type TenantScope } from './permissions';
import { sessionFromCookie, sessionSetCookie } from './session-cookie';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const MESSAGES = {
  unknown: 'This setup link is not valid.',
  expired: 'This setup link has expired. Ask your contact at the vendor for a new one.',
  revoked: 'This setup link was revoked. Ask your contact at the vendor for a new one.',
  already_used: 'This setup link was already opened in another browser. Ask for a new one.',
} as const;

const validShape = (token: string) => /^[A-Za-z0-9_-]{20,100}$/.test(token);

function page(status: number, title: string, body: string): Response {
  const brand = currentBranding();
  return htmlResponse(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · ${esc(brand.productName)}</title>` +
      `<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="same-origin">` +
      `${brand.accentColor ? `<style>a,button{color:${brand.accentColor}}</style>` : ''}</head>` +
      `<body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px;max-width:560px">` +
      `<p data-brand style="display:flex;align-items:center;gap:8px;font-weight:600">${brand.logoUrl ? `<img src="${esc(brand.logoUrl)}" alt="" style="height:28px;max-width:160px">` : ''}${esc(brand.productName)}</p>` +
      `${body}</body></html>`,
    // same-origin: the link's token never reaches another site, and Continue's POST carries its Origin.
    { status, headers: { 'referrer-policy': 'same-origin' } },
  );
}

const refused = (reason: keyof typeof MESSAGES) =>
  page(reason === 'unknown' ? 404 : 410, 'Setup link', `<h1>Setup link not usable</h1><p role="alert">${esc(MESSAGES[reason])}</p><p>Reason code: <code>${reason}</code></p>`);

async function sameBrowserOf(cookieHeader: string | null) {
  const current = await sessionFromCookie(cookieHeader);
  return current?.kind === 'portal_link' ? { linkId: current.sub, sessionId: current.sid } : null;
}

/**
 * GET /setup-link/<token>: says what the link opens and asks to continue, without using it. Mail
 * scanners and link previews fetch links too; only the POST of the Continue button (a person)
 * binds the link to this browser.
 */
export async function previewSetupLink(token: string, cookieHeader: string | null = null): Promise<Response> {
  if (!validShape(token)) return refused('unknown');
  const peek = await peekPortalLink(token, await sameBrowserOf(cookieHeader));
  if (!peek.ok) return refused(peek.reason);
  const scopes = peek.scopes.map((s) => SCOPE_NAMES[s as TenantScope] ?? s).join(', ');
  return page(
    200,
    `Set up single sign-on for ${peek.tenantName}`,
    `<h1>Set up single sign-on for ${esc(peek.tenantName)}</h1>` +
      `<p>This link opens the set-up console of <strong>${esc(peek.tenantName)}</strong> for ${esc(scopes)}, until ${esc(peek.expiresAt.toUTCString())}.</p>` +
      `<p>${peek.sameBrowser ? 'You opened it in this browser before; continue where you left off.' : 'It works in one browser only: the first one that continues.'}</p>` +
      `<form method="post"><button type="submit" style="font:inherit;padding:8px 16px;border-radius:6px;border:1px solid #18181b;background:#18181b;color:#fff;cursor:pointer">Continue</button></form>`,
  );
}

/**
 * POST /setup-link/<token>: opens the tenant console for a customer's IT admin, or says why not.
 * The browser that opened the link first may open it again (its session cookie names the link).
 */
export async function openSetupLink(token: string, meta: Omit<Ctx, 'actor'>, cookieHeader: string | null = null): Promise<Response> {
  const use = validShape(token) ? await usePortalLink(meta, token, await sameBrowserOf(cookieHeader)) : ({ ok: false, reason: 'unknown', tenantId: null } as const);
  if (!use.ok) return refused(use.reason);
  const tenant = await findTenant({ id: use.link.tenantId });
  const headers = new Headers({ location: `/t/${tenant?.slug ?? ''}`, 'cache-control': 'no-store' });
  headers.append('set-cookie', await sessionSetCookie({ sub: use.link.id, sid: use.sessionId, kind: 'portal_link', name: 'IT admin (setup link)' }, use.ttlSeconds));
  return new Response(null, { status: 303, headers });
}
