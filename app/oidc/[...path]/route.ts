import { oidcEndpoint } from '@/lib/applications/provider';

/** The OpenID Provider's endpoints (authorization, token, userinfo, JWKS, revocation, introspection, logout). */
const handle = (request: Request) => oidcEndpoint(request);

export { handle as GET, handle as POST, handle as OPTIONS, handle as HEAD };
