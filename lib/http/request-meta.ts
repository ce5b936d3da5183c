import { env } from '../env';
import type { Ctx } from '../audit/types';

/** IP and user agent of a request, for audit events (the actor is filled in by the caller). */
export function requestMeta(req: { headers: Pick<Headers, 'get'> } | undefined): Omit<Ctx, 'actor'> & { actor: Ctx['actor'] } {
  const h = req?.headers;
  const fwd = h?.get('x-forwarded-for')?.split(',')[0]?.trim();
  return {
    actor: { type: 'system' },
    ip: fwd || h?.get('x-real-ip') || null,
    userAgent: h?.get('user-agent') || null,
  };
}

/**
 * A form post another site made: Fetch Metadata says so (cross-site or same-site), or its Origin is
 * not PUBLIC_URL's (`null` included: a page with no-referrer, or sandboxed). Browsers send Origin
 * with every POST; a request without one is not a browser's cross-site post. For posts whose
 * effect lands in the browser (a session begun or ended), which SameSite=Lax cookies do not stop.
 */
export function crossSitePost(req: { headers: Pick<Headers, 'get'> }): boolean {
  const site = req.headers.get('sec-fetch-site');
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.get('origin');
  return !!origin && origin !== new URL(env().PUBLIC_URL).origin;
}
