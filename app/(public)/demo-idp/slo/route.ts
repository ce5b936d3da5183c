import { demoSingleLogout } from '@/lib/demo/pages';

/** The demo IdP's single logout service (HTTP-Redirect). */
export const GET = (req: Request) => demoSingleLogout(new URL(req.url));
