/**
 * bench:oidc's library child: oidc-provider alone (no portal code) serving the three requests a
 * product sign-in adds, mounted as the portal mounts it (runNodeHandler). Run in a process of its
 * own by bench/oidc.ts: `--storage=library` keeps the library's models in its in-memory storage;
 * `--storage=library-durable` in the portal's database through the portal's adapter
 * (lib/applications/store.ts, its client an `applications` row), as any instance must find them.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as oc from 'openid-client';
import { nodePair, runNodeHandler } from '../lib/applications/http-bridge';
import { codeRequest } from './common';

const APP = 'https://app.bench.test';
const domain = 'bench.example.com';

// The sign-in itself is a login result set at once; its CPU per flow is the least any OIDC layer
// built on this library can add to a sign-in here.
// @ts-expect-error -- oidc-provider ships no type declarations (lib/applications/provider.ts types the parts used).
const { default: BareProvider } = (await import('oidc-provider')) as unknown as { default: (new (issuer: string, config: Record<string, unknown>) => import('../lib/applications/provider').OidcProvider & { Grant: new (o: object) => { addOIDCScope(s: string): void; save(): Promise<string> } }) & { ctx?: object } };
const BARE = new URL('http://op.bench.test');
let clientId = 'bare';
let clientSecret = 'bare-secret-bare-secret';
const durable = process.argv.includes('--storage=library-durable');
const storage = durable ? await durableStorage() : { clients: [{ client_id: 'bare', client_secret: 'bare-secret-bare-secret', redirect_uris: [`${APP}/callback`], grant_types: ['authorization_code', 'refresh_token'] }] };

/** The portal's adapter over a fresh database (the runner passes its URL or data directory); the client a real application row. */
async function durableStorage() {
  const arg = (k: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.slice(k.length + 3) ?? '';
  for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'DEMO_MODE', 'OPERATOR_API_KEY']) delete process.env[k];
  Object.assign(process.env, { DATA_DIR: arg('data-dir'), AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123', LOG_LEVEL: 'silent', PUBLIC_URL: BARE.origin, ...(arg('database-url') ? { DATABASE_URL: arg('database-url') } : {}) });
  const { dbHandle } = await import('../lib/db/client');
  const { SYSTEM } = await import('../lib/audit/types');
  const { adapterClass, writeBatching } = await import('../lib/applications/store');
  const writes = writeBatching<{ path: string; status: number; body?: unknown }>(
    (path) => path === '/token' || path.startsWith('/auth/'),
    (ctx: { path: string; status: number; body?: unknown }) => {
      ctx.status = 400;
      ctx.body = { error: 'invalid_grant' };
    },
  );
  const { clientMetadata } = await import('../lib/applications/provider');
  const { createApplication, applicationByClientId } = await import('../lib/applications/registry');
  await dbHandle();
  const app = await createApplication(SYSTEM, { name: 'Bench library', redirectUris: [`${APP}/callback`] });
  clientId = app.clientId;
  clientSecret = app.clientSecret!;
  return {
    // With the portal's storage savings: the application row reused, the resume's and the token
    // endpoint's writes in one statement, a code read with its grant and session (as provider.ts does).
    adapter: adapterClass({
      clients: applicationByClientId,
      metadata: clientMetadata,
      currentLink: () => undefined,
      invalidGrant: (m) => new Error(m),
      batch: () => writes.of(BareProvider.ctx),
      request: () => BareProvider.ctx,
    }),
    batching: writes.middleware,
  };
}
const { batching, ...config } = storage as typeof storage & { batching?: (ctx: { path: string }, next: () => Promise<void>) => Promise<void> };
const bare = new BareProvider(BARE.origin, {
  ...config,
  jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'bench' }] },
  features: { devInteractions: { enabled: false } },
  // A refresh token with every code, as the portal issues for offline_access.
  issueRefreshToken: async () => true,
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 900, Session: 3600, Grant: 30 * 24 * 3600, RefreshToken: 30 * 24 * 3600 },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
  async findAccount(_ctx: unknown, sub: string) {
    return { accountId: sub, claims: async () => ({ sub, email: `${sub}@${domain}`, name: 'Ada Lovelace' }) };
  },
  async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; account: { accountId: string }; params: { scope: string } } }) {
    const grant = new bare.Grant({ accountId: ctx.oidc.account.accountId, clientId: ctx.oidc.client.clientId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});
if (batching) (bare as unknown as { use(mw: typeof batching): void }).use(batching);
const bareHandler = bare.callback();
const bareFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
  const req = input instanceof Request ? input : new Request(input, init);
  if (new URL(req.url).pathname.startsWith('/interaction/')) {
    // The sign-in, done at once: the login result, then the redirect to the resume.
    const { req: nreq, res } = (await nodePair(req, BARE))!;
    const to = await bare.interactionResult(nreq, res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
    return new Response(null, { status: 303, headers: { location: to } });
  }
  return runNodeHandler(bareHandler as never, req, BARE);
};
if (durable) {
  // Secrets are kept as hashes, as the portal compares them.
  const { createHash, timingSafeEqual } = await import('node:crypto');
  (bare as unknown as { Client: { prototype: { compareClientSecret(this: { clientSecret?: string }, s: string): Promise<boolean> } } }).Client.prototype.compareClientSecret = async function (this: { clientSecret?: string }, actual: string) {
    return timingSafeEqual(Buffer.from(String(this.clientSecret), 'hex'), createHash('sha256').update(actual).digest());
  };
}
const bareConfig = await oc.discovery(BARE, clientId, undefined, oc.ClientSecretBasic(clientSecret), {
  [oc.customFetch]: bareFetch as never,
  execute: [oc.allowInsecureRequests],
});

export async function libraryFlow() {
  const request = await codeRequest(bareConfig, { redirect_uri: `${APP}/callback`, scope: 'openid profile email' });
  let url = request.url;
  const jar = new Map<string, string>();
  for (let hop = 0; url.origin === BARE.origin; hop++) {
    if (hop > 5) throw new Error('library flow: too many redirects');
    const res = await bareFetch(url, { headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
    }
    if (!res.headers.get('location')) throw new Error(`library flow: ${res.status} at ${url.pathname}`);
    url = new URL(res.headers.get('location')!, url);
  }
  const tokens = await oc.authorizationCodeGrant(bareConfig, url, request.checks);
  if (!tokens.claims()?.sub || !tokens.refresh_token) throw new Error('library flow: no ID token or refresh token');
}

