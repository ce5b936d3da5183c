import { checkReadiness } from '@/lib/health';

/** Readiness for load balancers: 200 when this instance can serve (database, migrations, keys), else 503. */
export async function GET() {
  const r = await checkReadiness();
  return Response.json(r, { status: r.ok ? 200 : 503, headers: { 'cache-control': 'no-store' } });
}
