import { runNodeHandler } from '@/lib/applications/http-bridge';
import { oidcProvider } from '@/lib/applications/provider';
import { env } from '@/lib/env';

/** OpenID Connect discovery: the issuer is PUBLIC_URL, so the document is at the root. */
const handle = async (request: Request) => runNodeHandler((await oidcProvider()).callback(), request, new URL(env().PUBLIC_URL));

export { handle as GET, handle as OPTIONS, handle as HEAD };
