import { handleInteraction } from '@/lib/applications/interaction';

/** The provider's login step: the organisation, then its SSO (lib/applications/interaction.ts). */
export async function GET(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  return handleInteraction(request, (await params).uid, 'start');
}

/** "Continue as …" on a session this browser did not start (see handleInteraction). */
export async function POST(request: Request, { params }: { params: Promise<{ uid: string }> }) {
  return handleInteraction(request, (await params).uid, 'confirm');
}
