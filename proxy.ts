import { NextResponse, type NextRequest } from 'next/server';
import { anyWebOrigin, hstsHeader, pagesCsp } from './lib/http/html';

/**
 * Security headers of the pages: a Content-Security-Policy with a fresh nonce per request (Next.js
 * reads it from the request's header and puts it on its scripts) and HSTS when PUBLIC_URL is https.
 * Route handlers that answer HTML set their own, stricter policy (lib/http/html.ts); they must be
 * left out here (the matcher), since a header set here wins over the handler's, as are the API
 * and static files.
 */
/** next.config.js `serverActions.bodySizeLimit` ('1mb'). */
const ACTION_BODY_LIMIT = 1024 * 1024;

export function proxy(request: NextRequest) {
  // A server action's body over the limit is a 413 here, before Next.js reads it (its own refusal
  // is a 500); one without a declared length (chunked) a 411, since it cannot be judged up front.
  if (request.method === 'POST' && request.headers.has('next-action')) {
    const length = request.headers.get('content-length');
    if (length === null) return new NextResponse('A length is required (Content-Length).', { status: 411 });
    if (!/^\d+$/.test(length) || Number(length) > ACTION_BODY_LIMIT) {
      return new NextResponse('The request body is larger than 1 MB.', { status: 413 });
    }
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('base64');
  // The sign-in page's email form goes, through /sso's redirects, to the organisation's IdP
  // (Chrome applies form-action to every redirect of a submission): any web origin there.
  const formAction = request.nextUrl.pathname === '/signin' ? anyWebOrigin() : [];
  const csp = pagesCsp(nonce, process.env.NODE_ENV === 'development', formAction);
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', csp);
  requestHeaders.set('x-nonce', nonce);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('content-security-policy', csp);
  const hsts = hstsHeader();
  if (hsts) response.headers.set('strict-transport-security', hsts);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: not the API, the OpenID Provider, the SSO start, setup links, the demo IdP, metadata or static files.
      source:
        '/((?!api/|oidc/|sso$|sso/|setup-link/|demo-idp/|\\.well-known/|t/[^/]+/connections/[^/]+/test$|t/[^/]+/sign-in-policy/blocked$|_next/static|_next/image|favicon\\.ico|favicon\\.svg).*)',
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
