import { handleInteraction } from '@/lib/applications/interaction';
import { unlessDatabaseDown } from '@/lib/sso/error-page';

/** Back from the tenant's SSO with a refusal, or from a sign-in the callback did not finish: the login step ends. */
export async function GET(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  const { uid } = await params;
  return unlessDatabaseDown(() => handleInteraction(request, uid, 'continue'));
}
