/** @type {import('next').NextConfig} */
const nextConfig = {
  // Server-only packages with native, wasm or dynamically imported files, and oidc-provider (it names
  // its models after its classes, which bundling would rename): load them from node_modules.
  serverExternalPackages: ['@electric-sql/pglite', '@boxyhq/saml-jackson', 'pg', 'typeorm', 'oidc-provider', 'prom-client'],
  poweredByHeader: false,
  // Types are checked once per test run by `npm run typecheck` (scripts/test.sh), not again here.
  typescript: { ignoreBuildErrors: true },
  experimental: { serverActions: { bodySizeLimit: '1mb' } },
  // Browsers ask for /favicon.ico where a page declares no icon (JSON, the route handlers' pages).
  async rewrites() {
    return [{ source: '/favicon.ico', destination: '/favicon.svg' }];
  },
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
          { key: 'X-Frame-Options', value: 'DENY' },
        ],
      },
    ];
  },
};

export default nextConfig;
