import { handleOidcRedirect } from '@/lib/sso/oidc';

/** Where OIDC identity providers send the browser back; the SSO library turns it into a code. */
export const GET = (req: Request) => handleOidcRedirect(new URL(req.url));
