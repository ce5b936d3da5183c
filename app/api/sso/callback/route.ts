import { applicationSignIn } from '@/lib/applications/interaction';
import { unlessDatabaseDown } from '@/lib/sso/error-page';
import { requestMeta } from '@/lib/http/request-meta';
import { handleCallback } from '@/lib/sso/flow';

/** Back from the IdP (through the ACS or the OIDC redirect); an application's sign-in is finished here too. */
export const GET = (req: Request) => unlessDatabaseDown(() => handleCallback(new URL(req.url), req.headers.get('cookie'), requestMeta(req), applicationSignIn));
