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
