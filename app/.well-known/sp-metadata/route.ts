import { spMetadataXml } from '@/lib/sso/sp-metadata';

export async function GET() {
  return new Response(await spMetadataXml(), { headers: { 'content-type': 'application/samlmetadata+xml; charset=utf-8' } });
}
