import { unlessDatabaseDown } from '@/lib/sso/error-page';
import { startSsoFromRequest } from '@/lib/sso/start';

export const GET = (req: Request) => unlessDatabaseDown(() => startSsoFromRequest(req));
