import { brandingLogo } from '@/lib/branding/branding';

/** The operator's logo (checked PNG, JPEG or WebP bytes), for the branded pages. */
export async function GET() {
  const logo = await brandingLogo();
  if (!logo) return new Response('No logo', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  return new Response(new Uint8Array(logo.bytes), {
    headers: {
      'content-type': logo.type,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      // The URL carries the version (?v=…): a new logo gets a new URL.
      'cache-control': 'public, max-age=300',
    },
  });
}
