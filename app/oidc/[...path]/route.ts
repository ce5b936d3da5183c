import { runNodeHandler } from '@/lib/applications/http-bridge';
import { oidcProvider } from '@/lib/applications/provider';
import { env } from '@/lib/env';

/** The OpenID Provider's endpoints (authorization, token, userinfo, JWKS, revocation, introspection, logout). */
const handle = async (request: Request) => runNodeHandler((await oidcProvider()).callback(), request, new URL(env().PUBLIC_URL));

export { handle as GET, handle as POST, handle as OPTIONS, handle as HEAD };
