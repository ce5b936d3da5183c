import { isDatabaseFault } from '@/lib/sso/error-page';
import { log } from '@/lib/log';
import { spMetadataXml } from '@/lib/sso/saml/sp-metadata';

export async function GET() {
  try {
    return new Response(await spMetadataXml(), { headers: { 'content-type': 'application/samlmetadata+xml; charset=utf-8' } });
  } catch (err) {
    // The SP certificate lives in the database: during an outage, a clear 503 (never a crash).
    if (!(await isDatabaseFault(err))) throw err;
    log('error', 'SP metadata unavailable: database unavailable', { err });
    return new Response('The service provider metadata is unavailable for a moment; retry shortly.', { status: 503, headers: { 'retry-after': '5', 'content-type': 'text/plain; charset=utf-8' } });
  }
}
