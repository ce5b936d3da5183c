import { unlessDatabaseDown } from '@/lib/sso/error-page';
import { requestMeta } from '@/lib/http/request-meta';
import { handleCallback } from '@/lib/sso/flow';

export const GET = (req: Request) => unlessDatabaseDown(() => handleCallback(new URL(req.url), req.headers.get('cookie'), requestMeta(req)));
