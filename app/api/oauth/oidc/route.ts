import { unlessDatabaseDown } from '@/lib/sso/error-page';
import { requestMeta } from '@/lib/http/request-meta';
import { handleOidcRedirect } from '@/lib/sso/flow';

/** Where OIDC identity providers send the browser back; the portal exchanges the code (lib/sso/oidc/rp.ts). */
export const GET = (req: Request) => unlessDatabaseDown(() => handleOidcRedirect(new URL(req.url), requestMeta(req), req.headers.get('cookie')));
