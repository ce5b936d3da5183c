import { unlessDatabaseDown } from '@/lib/sso/error-page';
import { requestMeta } from '@/lib/http/request-meta';
import { handleOidcRedirect } from '@/lib/sso/flow';

/** A tenant's own OIDC redirect URI (connections its admins make): finishes only that tenant's flows. */
export const GET = (req: Request) => unlessDatabaseDown(() => handleOidcRedirect(new URL(req.url), requestMeta(req), req.headers.get('cookie')));
