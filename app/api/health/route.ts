import { checkHealth } from '@/lib/health';

export async function GET() {
  const h = await checkHealth();
  return Response.json(h, { status: h.ok ? 200 : 503 });
}
