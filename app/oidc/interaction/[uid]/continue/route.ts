import { handleInteraction } from '@/lib/applications/interaction';

/** Back from the tenant's SSO (signed in, or with `error`): the login step finishes. */
export async function GET(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  return handleInteraction(request, (await params).uid, 'continue');
}
