import { requestMeta } from '@/lib/http/request-meta';
import { handleOidcRedirect } from '@/lib/sso/flow';

/** Where OIDC identity providers send the browser back; the SSO library turns it into a code. */
export const GET = (req: Request) => handleOidcRedirect(new URL(req.url), requestMeta(req));
