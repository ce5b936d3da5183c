import { readBody } from '@/lib/api/body';
import { AppError } from '@/lib/errors';
import { requestMeta } from '@/lib/http/request-meta';
import { signInErrorPage, unlessDatabaseDown } from '@/lib/sso/error-page';
import { handleAcs } from '@/lib/sso/flow';

/** The Assertion Consumer Service (HTTP-POST binding). */
export async function POST(req: Request) {
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(await readBody(req));
  } catch (e) {
    if (e instanceof AppError && e.status === 413) return signInErrorPage('response_too_large', 413);
    throw e;
  }
  return unlessDatabaseDown(() => handleAcs(form, requestMeta(req)));
}
