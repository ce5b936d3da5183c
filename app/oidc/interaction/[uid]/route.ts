import { handleInteraction } from '@/lib/applications/interaction';
import { unlessDatabaseDown } from '@/lib/sso/error-page';

/** The provider's login step: the organisation, then its SSO (lib/applications/interaction.ts). */
export async function GET(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  const { uid } = await params;
  return unlessDatabaseDown(() => handleInteraction(request, uid, 'start'));
}

/** "Continue as …" on a session this browser did not start (see handleInteraction). */
export async function POST(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  const { uid } = await params;
  return unlessDatabaseDown(() => handleInteraction(request, uid, 'confirm'));
}
