import { openSetupLink } from '@/lib/auth/setup-link';
import { requestMeta } from '@/lib/http/request-meta';

export async function GET(req: Request, { params }: { params: Promise<{ token: string }> }) {
  return openSetupLink((await params).token, requestMeta(req), req.headers.get('cookie'));
}
