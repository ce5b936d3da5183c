import { openSetupLink, previewSetupLink } from '@/lib/auth/setup-link';
import { crossSitePost, requestMeta } from '@/lib/http/request-meta';

/** Shows what the link opens and a Continue button; a GET never uses the link (mail scanners fetch links). */
export async function GET(req: Request, { params }: { params: Promise<{ token: string }> }) {
  return previewSetupLink((await params).token, req.headers.get('cookie'));
}

/** Continue: uses the link and binds it to this browser; never from another site's page (login CSRF). */
export async function POST(req: Request, { params }: { params: Promise<{ token: string }> }) {
  if (crossSitePost(req)) return new Response('Cross-site request refused', { status: 403 });
  return openSetupLink((await params).token, requestMeta(req), req.headers.get('cookie'));
}
