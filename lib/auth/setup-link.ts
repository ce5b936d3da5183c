import 'server-only';
import type { Ctx } from '../audit/types';
import { usePortalLink } from '../dal/portal-links';
import { findTenant } from '../dal/tenants';
import { sessionFromCookie, sessionSetCookie } from './session-cookie';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const MESSAGES = {
  unknown: 'This setup link is not valid.',
  expired: 'This setup link has expired. Ask your contact at the vendor for a new one.',
  revoked: 'This setup link was revoked. Ask your contact at the vendor for a new one.',
  already_used: 'This setup link was already opened in another browser. Ask for a new one.',
} as const;

/**
 * GET /setup-link/<token>: opens the tenant console for a customer's IT admin, or says why not.
 * The browser that opened the link first may open it again (its session cookie names the link).
 */
export async function openSetupLink(token: string, meta: Omit<Ctx, 'actor'>, cookieHeader: string | null = null): Promise<Response> {
  const current = await sessionFromCookie(cookieHeader);
  const sameBrowser = current?.kind === 'portal_link' ? { linkId: current.sub, sessionId: current.sid } : null;
  const use = /^[A-Za-z0-9_-]{20,100}$/.test(token) ? await usePortalLink(meta, token, sameBrowser) : ({ ok: false, reason: 'unknown', tenantId: null } as const);
  if (!use.ok) {
    const status = use.reason === 'unknown' ? 404 : 410;
    return new Response(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Setup link</title></head><body style="font-family:system-ui;padding:40px">` +
        `<h1>Setup link not usable</h1><p role="alert">${esc(MESSAGES[use.reason])}</p><p>Reason code: <code>${use.reason}</code></p></body></html>`,
      { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
    );
  }
  const tenant = await findTenant({ id: use.link.tenantId });
  const headers = new Headers({ location: `/t/${tenant?.slug ?? ''}`, 'cache-control': 'no-store' });
  headers.append('set-cookie', await sessionSetCookie({ sub: use.link.id, sid: use.sessionId, kind: 'portal_link', name: 'IT admin (setup link)' }, use.ttlSeconds));
  return new Response(null, { status: 303, headers });
}
