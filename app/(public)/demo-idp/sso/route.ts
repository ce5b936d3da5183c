import { demoSignIn, demoSignInPage } from '@/lib/demo/pages';

export const GET = (req: Request) => demoSignInPage(new URL(req.url));
export const POST = (req: Request) => demoSignIn(req);
