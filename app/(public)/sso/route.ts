import { startSsoFromRequest } from '@/lib/sso/start';

export const GET = (req: Request) => startSsoFromRequest(req);
