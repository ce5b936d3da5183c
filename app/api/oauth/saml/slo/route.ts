import { readBody } from '@/lib/api/body';
import { AppError } from '@/lib/errors';
import { requestMeta } from '@/lib/http/request-meta';
import { messagePage, unlessDatabaseDown } from '@/lib/sso/error-page';
import { handleSlo } from '@/lib/sso/saml/logout';

/** Single logout (HTTP-Redirect binding): the IdP's LogoutRequest or LogoutResponse in the query. */
export async function GET(req: Request) {
  return unlessDatabaseDown(() => handleSlo(new URL(req.url), null, requestMeta(req)));
}

/** Single logout (HTTP-POST binding). */
export async function POST(req: Request) {
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(await readBody(req, 256 * 1024));
  } catch (e) {
    if (e instanceof AppError && e.status === 413) return messagePage({ title: 'Sign-out refused', sentence: 'The sign-out message is too large.', status: 413, reason: 'logout_malformed' });
    throw e;
  }
  return unlessDatabaseDown(() => handleSlo(new URL(req.url), form, requestMeta(req)));
}
