/**
 * The baseline: the bare SSO library (@boxyhq/saml-jackson) doing the same complete SP-initiated
 * flow on its own typeorm PostgreSQL engine — authorize → test IdP (parse AuthnRequest, sign
 * Response, in this process like the portal's run) → samlResponse → token (PKCE) → userInfo.
 * No portal code is involved (no user upsert, session or audit: the library has none).
 *
 *   node --conditions=react-server --import tsx bench/baseline.ts --database-url=postgres://…/fresh_db
 *
 * Alone it prints one BENCH_RESULT line of JSON; under bench/run.ts it runs the levels it is told to.
 * Own process: the library caches its database on `global`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { controllers, type JacksonOption } from '@boxyhq/saml-jackson';
import { TestSamlIdp } from '../e2e/idp/saml-idp';
import { arg, countPgQueries, loadOptionsFromArgs, progress, runLevel, serve, Stopwatch, userAttributes, type FlowTiming } from './common';

const databaseUrl = arg('database-url');
if (!databaseUrl) throw new Error('--database-url is required (a fresh database)');

// The same SP URLs the portal's run uses (PUBLIC_URL http://localhost:3000, lib/sso/sp.ts).
const EXTERNAL = 'http://localhost:3000';
const SAML_PATH = '/api/oauth/saml';
const ACS_URL = `${EXTERNAL}${SAML_PATH}`;
const AUDIENCE = `${EXTERNAL}/.well-known/sp-metadata`;
const REDIRECT = `${EXTERNAL}/api/sso/callback`;
const TENANT = 'bench-tenant';
const PRODUCT = 'portal';

const { levels, opts: baseOpts } = loadOptionsFromArgs();
const opts = { ...baseOpts, postgresUrl: databaseUrl };
const libErrors: string[] = [];

await countPgQueries(); // before typeorm connects
const setupStart = performance.now();
const jackson = await controllers({
  externalUrl: EXTERNAL,
  samlPath: SAML_PATH,
  samlAudience: AUDIENCE,
  noAnalytics: true,
  db: { engine: 'sql', type: 'postgres', url: databaseUrl, encryptionKey: randomBytes(16).toString('hex') },
  logger: { info: () => {}, warn: () => {}, error: (msg: string) => void (libErrors.length < 5 && libErrors.push(String(msg))) },
} as JacksonOption);

const domain = `bench-${process.pid}.example.com`;
const idp = new TestSamlIdp({ entityId: `https://idp.${domain}/metadata`, ssoUrl: `https://idp.${domain}/sso` });
await jackson.connectionAPIController.createSAMLConnection({
  rawMetadata: idp.metadataXml(),
  defaultRedirectUrl: REDIRECT,
  redirectUrl: JSON.stringify([REDIRECT]),
  tenant: TENANT,
  product: PRODUCT,
} as Parameters<typeof jackson.connectionAPIController.createSAMLConnection>[0]);
progress(`baseline: library initialised on typeorm/PostgreSQL, SAML connection created in ${Math.round(performance.now() - setupStart)} ms`);

const b64url = (b: Buffer) => b.toString('base64url');

async function flow(email: string): Promise<FlowTiming> {
  const sw = new Stopwatch();
  const state = b64url(randomBytes(16));
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const authz = (await jackson.oauthController.authorize({
    tenant: TENANT,
    product: PRODUCT,
    client_id: 'dummy',
    redirect_uri: REDIRECT,
    state,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  } as Parameters<typeof jackson.oauthController.authorize>[0])) as { redirect_url?: string; error?: string };
  if (!authz.redirect_url || authz.error) throw new Error(`authorize: ${authz.error ?? 'no redirect'}`);
  const toIdp = new URL(authz.redirect_url);
  sw.lap('authorize');

  const req = idp.parseAuthnRequest(toIdp.searchParams.get('SAMLRequest')!);
  const samlResponse = idp.buildResponse({ acsUrl: ACS_URL, audience: AUDIENCE, inResponseTo: req.id, nameId: email, attributes: userAttributes(email) });
  sw.lap('idp');

  const acs = (await jackson.oauthController.samlResponse({ SAMLResponse: samlResponse, RelayState: toIdp.searchParams.get('RelayState')! })) as {
    redirect_url?: string;
    error?: string;
  };
  if (!acs.redirect_url || acs.error) throw new Error(`samlResponse: ${acs.error ?? 'no redirect'}`);
  const back = new URL(acs.redirect_url);
  const code = back.searchParams.get('code');
  if (!code || back.searchParams.get('state') !== state) throw new Error(`samlResponse: no code or wrong state (${acs.redirect_url.slice(0, 200)})`);
  sw.lap('samlResponse');

  const token = (await jackson.oauthController.token({
    code,
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT,
    client_id: 'dummy',
    code_verifier: verifier,
  } as never)) as { access_token?: string }; // the typings have no PKCE variant
  if (!token.access_token) throw new Error('token: no access_token');
  sw.lap('token');

  const info = (await jackson.oauthController.userInfo(token.access_token)) as { email?: string };
  if (info.email !== email) throw new Error(`userInfo: got ${info.email}`);
  sw.lap('userInfo');
  return sw.timing;
}

let n = 0;
await serve(
  {
    kind: 'baseline',
    storage: 'postgres (library typeorm engine)',
    variants: {
      library: async (c) => {
        progress(`baseline: ${c} concurrent …`);
        const r = await runLevel('library alone', c, opts, () => flow(`user${n++}@${domain}`));
        progress(`baseline: ${c} concurrent: ${r.flowsPerSec} flows/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}`);
        return r;
      },
    },
    async finish() {
      await jackson.close().catch(() => {});
      return { libraryErrors: libErrors };
    },
  },
  levels,
);
