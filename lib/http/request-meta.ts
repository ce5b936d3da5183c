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
 * A form post another site made (its Origin is not PUBLIC_URL's). Browsers send Origin with every
 * POST; a request without one is not a browser's cross-site post. For posts whose effect lands in
 * the browser (a session begun or ended), which SameSite=Lax cookies alone do not stop.
 */
export function crossSitePost(req: { headers: Pick<Headers, 'get'> }): boolean {
  const origin = req.headers.get('origin');
  return !!origin && origin !== new URL(env().PUBLIC_URL).origin;
}
