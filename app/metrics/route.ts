import { timingSafeEqual } from 'node:crypto';
import { env } from '@/lib/env';
import { metrics } from '@/lib/metrics';

/** Prometheus metrics of this instance, for a scraper holding METRICS_TOKEN (off when unset). */
export async function GET(req: Request) {
  const token = env().METRICS_TOKEN;
  if (!token) return new Response('Not found', { status: 404 });
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(req.headers.get('authorization') ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return new Response('A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)', { status: 401, headers: { 'www-authenticate': 'Bearer' } });
  }
  const { registry } = metrics();
  return new Response(await registry.metrics(), { headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' } });
}
