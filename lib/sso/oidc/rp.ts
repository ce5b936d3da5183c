import 'server-only';
import * as oc from 'openid-client';
import type { Connection } from '../../db/schema';
import { env } from '../../env';
import { AppError } from '../../errors';
import { untrustedFetch, UntrustedFetchError } from '../../http/safe-fetch';
import { log } from '../../log';
import { LoginRejected } from '../failures';
import { sso } from '../jackson';
import { emailOf, iatProblem, issuerProblem } from './claims';
import { oidcRedirectUrlOf } from '../sp';

/**
 * The portal as OpenID Connect relying party, with openid-client (v6) called by the portal itself:
 * the SSO library keeps only the connection's record (the provider's checked discovery document
 * and the encrypted client secret), read here; it takes no part in the sign-in.
 *
 * - Authorization: code flow with PKCE (S256), a nonce and the state of the portal's flow;
 *   `openid email profile`; the client authenticates with client_secret_post (client_secret_basic
 *   when the provider does not offer post).
 * - Exchange (at the OIDC redirect): one deadline (default 10 s) over the token request, the JWKS
 *   and userinfo; every request goes through `untrustedFetch` (https, public addresses checked on
 *   the address connected to unless ALLOW_PRIVATE_URLS, no redirects, 512 KiB). The ID token is
 *   checked by openid-client (iss, aud, azp, exp, nonce, alg) and its JWS signature against the
 *   provider's JWKS (`enableNonRepudiationChecks`; JWKS cached per jwks_uri); its `iat` here
 *   (./claims.ts). HMAC-signed (HS*) ID tokens are not accepted.
 */

/** The deadline over one sign-in's exchange with the provider (token + JWKS + userinfo). */
export const OIDC_EXCHANGE_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 512 * 1024;
export const OIDC_SCOPE = 'openid email profile';

/** JWKS of the providers, by jwks_uri (openid-client refreshes a cache on an unknown `kid`). */
const jwksCaches = new Map<string, oc.ExportedJWKSCache>();
const MAX_JWKS_CACHES = 1000;

type LibraryRecord = { oidcProvider?: { metadata?: oc.ServerMetadata; clientId?: string; clientSecret?: string } };

/**
 * The connection's provider and client as the SSO library stores them (secret decrypted). A
 * provider whose stored issuer is not where its discovery document was (a connection stored
 * before the rule, see issuerProblem) serves nothing: AppError `invalid_url`, before any request.
 */
async function storedClient(connection: Pick<Connection, 'clientId' | 'metadataUrl'>) {
  const { jackson } = await sso();
  const [rec] = (await jackson.connectionAPIController.getConnections({ clientID: connection.clientId } as never)) as LibraryRecord[];
  const p = rec?.oidcProvider;
  if (!p?.metadata?.issuer || !p.clientId || !p.clientSecret) throw new Error('the OIDC connection has no stored provider metadata or client');
  const wrongIssuer = issuerProblem(connection.metadataUrl ?? '', p.metadata.issuer);
  if (wrongIssuer) throw new AppError(502, 'invalid_url', `the connection's provider cannot be used: ${wrongIssuer}; create the connection again`);
  return { metadata: p.metadata, clientId: p.clientId, clientSecret: p.clientSecret };
}

function configFor(stored: Awaited<ReturnType<typeof storedClient>>, timeoutMs: number, deadline?: AbortSignal): oc.Configuration {
  const { ALLOW_PRIVATE_URLS: allowPrivate } = env();
  const methods = stored.metadata.token_endpoint_auth_methods_supported;
  const auth =
    Array.isArray(methods) && !methods.includes('client_secret_post') && methods.includes('client_secret_basic')
      ? oc.ClientSecretBasic(stored.clientSecret)
      : oc.ClientSecretPost(stored.clientSecret);
  const config = new oc.Configuration(stored.metadata, stored.clientId, undefined, auth);
  config[oc.customFetch] = untrustedFetch({ path: 'oidc', allowPrivate, maxBytes: MAX_RESPONSE_BYTES, timeoutMs, signal: deadline });
  config.timeout = Math.max(1, Math.ceil(timeoutMs / 1000));
  if (allowPrivate) oc.allowInsecureRequests(config); // development: http on loopback (untrustedFetch still checks)
  oc.enableNonRepudiationChecks(config);
  const cache = stored.metadata.jwks_uri ? jwksCaches.get(stored.metadata.jwks_uri) : undefined;
  if (cache) oc.setJwksCache(config, cache);
  return config;
}

function keepJwks(config: oc.Configuration): void {
  const uri = config.serverMetadata().jwks_uri;
  const cache = oc.getJwksCache(config);
  if (!uri || !cache) return;
  if (!jwksCaches.has(uri) && jwksCaches.size >= MAX_JWKS_CACHES) jwksCaches.delete(jwksCaches.keys().next().value!);
  jwksCaches.set(uri, cache);
}

/** What the browser is sent with, and what the flow keeps server-side for the exchange. */
export type OidcAuthorization = { url: URL; nonce: string; verifier: string };

/** What the relying party reads of a connection (its redirect URI from the last two). */
type RpConnection = Pick<Connection, 'clientId' | 'metadataUrl' | 'tenantId' | 'oidcRedirect'>;

/** The authorization URL of a sign-in whose flow is named `state` (no network). */
export async function oidcAuthorization(connection: RpConnection, state: string, opts: { forceAuthn?: boolean } = {}): Promise<OidcAuthorization> {
  const config = configFor(await storedClient(connection), OIDC_EXCHANGE_TIMEOUT_MS);
  const nonce = oc.randomNonce();
  const verifier = oc.randomPKCECodeVerifier();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: oidcRedirectUrlOf(connection),
    scope: OIDC_SCOPE,
    state,
    nonce,
    code_challenge: await oc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    // A fresh sign-in at the provider (an application asked for prompt=login or max_age).
    ...(opts.forceAuthn ? { prompt: 'login' } : {}),
  });
  return { url, nonce, verifier };
}

/** A checked OIDC sign-in, in the shape lib/sso/flow.ts `toIdpProfile` reads, plus what only OIDC has. */
export type OidcSignIn = {
  profile: { id: string; email?: string; firstName?: string; lastName?: string; groups?: string[]; raw: Record<string, unknown> };
  /** The provider vouches for `profile.email` (./claims.ts `emailOf`). */
  emailVerified: boolean;
  /** `amr` and `acr` of the (signed) ID token, for the MFA check. */
  authn: { amr?: unknown; acr?: unknown };
};

const str = (...v: unknown[]) => v.find((x): x is string => typeof x === 'string');
const list = (...v: unknown[]) => v.find((x): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string'));

/**
 * Exchanges the provider's code of the redirect `redirect` (its query as received) for a checked
 * identity, within one deadline. Throws LoginRejected: `idp_timeout` (504) when the deadline
 * passes, `connection_misconfigured` (502) when an endpoint is a refused (private) target,
 * `idp_error` when the provider refuses or cannot be reached, `id_token_invalid` (400) when the
 * ID token fails a check.
 */
export async function oidcExchange(
  connection: RpConnection,
  flow: { state: string; nonce: string; verifier: string },
  redirect: URL,
  opts: { timeoutMs?: number } = {},
): Promise<OidcSignIn> {
  const timeoutMs = opts.timeoutMs ?? OIDC_EXCHANGE_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  // Nothing outlives the deadline, whatever a step awaits.
  let onExpiry = () => {};
  const expired = new Promise<never>((_, reject) => {
    onExpiry = () => reject(new LoginRejected('idp_timeout', 504));
    deadline.addEventListener('abort', onExpiry, { once: true });
  });
  const work = async (): Promise<OidcSignIn> => {
    const config = configFor(await storedClient(connection), timeoutMs, deadline);
    // The redirect URI sent to the token endpoint is derived from this URL: exactly the registered one.
    const current = new URL(oidcRedirectUrlOf(connection));
    for (const [k, v] of redirect.searchParams) current.searchParams.append(k, v);
    const tokens = await oc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: flow.verifier,
      expectedNonce: flow.nonce,
      expectedState: flow.state,
      idTokenExpected: true,
    });
    keepJwks(config);
    const id = tokens.claims() as Record<string, unknown> & { sub: string };
    const problem = iatProblem(id.iat, Date.now() / 1000);
    if (problem) throw new LoginRejected('id_token_invalid', 400, problem);
    const userinfo: Record<string, unknown> = config.serverMetadata().userinfo_endpoint
      ? ((await oc.fetchUserInfo(config, tokens.access_token, id.sub)) as Record<string, unknown>)
      : {};
    const { email, emailVerified } = emailOf(id, userinfo);
    return {
      profile: {
        id: id.sub,
        email: email ?? undefined,
        firstName: str(id.given_name, userinfo.given_name),
        lastName: str(id.family_name, userinfo.family_name),
        groups: list(id.groups, userinfo.groups),
        // The signed ID token's claims win over userinfo's.
        raw: { ...userinfo, ...id },
      },
      emailVerified,
      authn: { amr: id.amr, acr: id.acr },
    };
  };
  try {
    return await Promise.race([work(), expired]);
  } catch (err) {
    throw refusalOf(err, deadline);
  } finally {
    deadline.removeEventListener('abort', onExpiry);
    expired.catch(() => {});
  }
}

/** openid-client codes of an answer that is not an OAuth answer at all (an HTTP 500 page, not JSON). */
const ANSWER_UNREADABLE = new Set(['OAUTH_RESPONSE_IS_NOT_CONFORM', 'OAUTH_RESPONSE_IS_NOT_JSON', 'OAUTH_PARSE_ERROR']);

function inCauses<T>(err: unknown, cls: abstract new (...a: never[]) => T): T | null {
  for (let e = err, i = 0; e && i < 8; e = (e as { cause?: unknown }).cause, i++) if (e instanceof cls) return e as T;
  return null;
}

/** The typed refusal of a failed exchange. */
function refusalOf(err: unknown, deadline: AbortSignal): LoginRejected {
  if (err instanceof LoginRejected) return err;
  if (err instanceof AppError && err.code === 'invalid_url') return new LoginRejected('connection_misconfigured', 502, err.message);
  const fetchError = inCauses(err, UntrustedFetchError);
  if (deadline.aborted || fetchError?.kind === 'timeout' || (err as { code?: string })?.code === 'OAUTH_TIMEOUT') return new LoginRejected('idp_timeout', 504);
  if (fetchError?.kind === 'refused') return new LoginRejected('connection_misconfigured', 502, fetchError.message);
  if (fetchError) return new LoginRejected('idp_error', 502, fetchError.message);
  // The provider answered with an OAuth error (invalid_grant …), at the redirect or the token endpoint.
  if (err instanceof oc.ResponseBodyError || err instanceof oc.AuthorizationResponseError) {
    return new LoginRejected('idp_error', 400, `${err.error}${err.error_description ? `: ${err.error_description}` : ''}`.slice(0, 200));
  }
  if (err instanceof oc.ClientError && ANSWER_UNREADABLE.has(err.code ?? '')) return new LoginRejected('idp_error', 502, err.message);
  // The answer names another provider (RFC 9207 `iss`), or lacks it from one that always sends it.
  const issuer = /"iss" \(issuer\)/.test(String((err as { cause?: { message?: unknown } })?.cause?.message ?? ''));
  if (err instanceof oc.ClientError && issuer) return new LoginRejected('issuer_mismatch', 400, String((err.cause as Error).message));
  // Anything else openid-client refused is in the provider's answer: the ID token (signature, key,
  // claims, times) or the token response around it.
  if (err instanceof oc.ClientError) return new LoginRejected('id_token_invalid', 400, err.message);
  log('warn', 'OIDC exchange failed', { err });
  return new LoginRejected('idp_error', 502);
}
