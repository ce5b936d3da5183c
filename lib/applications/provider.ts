import 'server-only';
import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
// @ts-expect-error -- oidc-provider ships no type declarations; the parts used are typed below.
import ProviderImpl, { errors as errorsImpl, interactionPolicy as policyImpl } from 'oidc-provider';
import { auditInsert, record } from '../audit/record';
import { clearSessionCookie, sessionFromCookie } from '../auth/session-cookie';
import { dbHandle, getDb } from '../db/client';
import type { Application } from '../db/schema';
import { endSession, ssoOfSession } from '../dal/sessions';
import { spLogoutTarget } from '../sso/saml/logout';
import { env } from '../env';
import { AUTO_SUBMIT_SCRIPT, escapeHtml } from '../http/html';
import { requestMeta } from '../http/request-meta';
import { log } from '../log';
import { conflict } from '../errors';
import { countToken } from '../metrics';
import { jwksOf, keySetVersion, listSigningKeys, rotateSigningKeys, signingKeys } from './keys';
import type { Ctx as AuditCtx } from '../audit/types';
import { applicationByClientId } from './registry';
import { adapterClass, saveInteractionResult, writeBatching, type PortalLink, type WriteBatch } from './store';
import { maxAgeOf, meetsMaxAge, portalSessionOf, servesRequest } from './portal-session';
import { LAST_SEEN_WRITE_INTERVAL_MS } from '../policies/session';
import { signInIpAllowed } from '../policies/sso';
import { backchannelFetch, enqueueRetry } from './backchannel';
import { canonicalUri } from '../validation/applications';
import { BufferedResponse, cookieHeaderAfter, readCapped, runNodeHandler, type ParamRewrite } from './http-bridge';
import { interactionPath, interactionStep, type InteractionRecord } from './interaction';
import { isDatabaseFault, unlessDatabaseDown } from '../sso/error-page';

/**
 * The portal's OpenID Provider (`oidc-provider`): the operator's applications sign their users in
 * with the standard authorization code flow and receive the user, their organisation and roles.
 * Issuer = PUBLIC_URL; discovery at /.well-known/openid-configuration, every other endpoint under
 * /oidc. Sign-in itself is the tenant's SSO (lib/applications/interaction.ts); the provider session
 * lives exactly as long as the portal session it was created from.
 */
export const PREFIX = '/oidc';
const USERINFO_PATH = `${PREFIX}/me`;
export const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'organization', 'roles', 'groups'] as const;
const TTL = { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 900, Grant: 30 * 24 * 3600, RefreshToken: 30 * 24 * 3600 };
/** The longest a token signed by a key may live: a retired key stays published that long. */
export const MAX_SIGNED_LIFETIME_SECONDS = TTL.IdToken;

// ---------------------------------------------------------------------------------------------
// The parts of oidc-provider's API used here.
type Ctx = {
  oidc: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  method: string;
  path: string;
  status: number;
  get(name: string): string;
  set(name: string, value: string): void;
  remove(name: string): void;
  append(name: string, value: string): void;
  response: { get(name: string): string | undefined };
  query: Record<string, unknown>;
  type: string;
  body: unknown;
};
type Middleware = (ctx: Ctx, next: () => Promise<void>) => Promise<void>;
export type OidcProvider = {
  callback(): (req: unknown, res: unknown) => unknown;
  use(mw: Middleware): void;
  on(event: string, fn: (...args: any[]) => void): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The interaction model itself: `result` set and `save(ttl)` is what `interactionResult` does. */
  interactionDetails(req: unknown, res: unknown): Promise<{
    uid: string;
    result?: Record<string, unknown>;
    params: Record<string, unknown>;
    prompt: { name: string; reasons: string[] };
    session?: { accountId?: string; uid?: string };
    grantId?: string;
    exp: number;
    returnTo: string;
    save(ttlSeconds: number): Promise<unknown>;
  }>;
  interactionResult(req: unknown, res: unknown, result: Record<string, unknown>, opts?: { mergeWithLastSubmission?: boolean }): Promise<string>;
  cookieName(kind: 'session' | 'interaction' | 'resume'): string;
  /** Koa's: a request context (here, to sign a cookie with the provider's keys). */
  createContext(req: unknown, res: unknown): { cookies: { set(name: string, value: string, opts: Record<string, unknown>): void } };
  Interaction: {
    find(uid: string): Promise<{ result?: Record<string, unknown>; exp: number; returnTo: string; save(ttlSeconds: number): Promise<unknown> } | undefined>;
  };
  Client: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  Session: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  Grant: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  AccessToken: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  RefreshToken: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  AuthorizationCode: any; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const Provider = ProviderImpl as { new (issuer: string, config: Record<string, unknown>): OidcProvider; ctx?: Ctx };
const errors = errorsImpl as { InvalidGrant: new (d: string) => Error; InvalidRequest: new (d: string) => Error };
const interactionPolicy = policyImpl as {
  base(): { get(name: string): { checks: { add(c: unknown): void } } };
  Check: { new (reason: string, description: string, error: string, check: (ctx: Ctx) => Promise<unknown> | unknown): unknown; REQUEST_PROMPT: unknown; NO_NEED_TO_PROMPT: unknown };
};

// ---------------------------------------------------------------------------------------------

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** An application row as oidc-provider client metadata. */
export function clientMetadata(app: Application): Record<string, unknown> {
  return {
    client_id: app.clientId,
    client_name: app.name,
    application_type: 'web', // exact redirect URI matching
    redirect_uris: app.redirectUris.map(canonicalUri),
    post_logout_redirect_uris: app.postLogoutRedirectUris.map(canonicalUri),
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    id_token_signed_response_alg: 'RS256',
    // Every ID token carries auth_time anyway; this also makes the provider refuse a request
    // without the `openid` scope (invalid_request, back at the application) instead of serving it
    // as plain OAuth: the contract's applications speak OpenID Connect.
    require_auth_time: true,
    ...(app.type === 'public'
      ? { token_endpoint_auth_method: 'none' }
      : // client_secret_basic also accepts client_secret_post; the value is a hash (compareClientSecret).
        // Without one (made confidential before PATCH issued secrets) no secret matches "none".
        { token_endpoint_auth_method: 'client_secret_basic', client_secret: app.secretHash ?? 'none' }),
    ...(app.backchannelLogoutUri ? { backchannel_logout_uri: app.backchannelLogoutUri, backchannel_logout_session_required: true } : {}),
  };
}

/**
 * The most groups an ID token lists itself (Entra ID's figure for a JWT), and the most bytes they
 * may take there as JSON; userinfo always lists them all.
 */
const GROUPS_IN_ID_TOKEN = 200;
const GROUP_BYTES_IN_ID_TOKEN = 8192;

/** The account the provider issues tokens for, read fresh (roles as they are now), or null when refused. */
type AccountRow = {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  roles: string[];
  groups: string[];
  status: string;
  tenant_id: string;
  tenant_slug: string;
  tenant_name: string;
  app_tenants: string[] | null;
  app_exists: boolean;
  portal_live: boolean | null;
  email_trusted: boolean;
};

/**
 * One statement: the user and their tenant, whether the application still admits that tenant,
 * and whether the portal session the provider session came from is still live under its tenant's
 * policy (using an application counts as activity for the idle timeout: a request the provider
 * may serve, with a valid token of the requesting client for an account it admits). A suspended or deleted
 * user, a tenant the application no longer admits, or an ended portal session: no account (the
 * provider then answers invalid_grant to a refresh and 401 to userinfo).
 */
const ACCOUNT_CTES = `link as (
    select s.id, s.expires_at, s.created_at, s.last_seen_at, t.sign_in_policy as policy
    from oidc_session_links l join sessions s on s.id = l.portal_session_id left join tenants t on t.id = s.tenant_id
    where l.session_uid = (select session_uid from input)),
  live as (
    select id from link where expires_at > now()
      and (policy->>'sessionMaxAgeSeconds' is null or created_at + make_interval(secs => (policy->>'sessionMaxAgeSeconds')::int) > now())
      and (policy->>'sessionIdleSeconds' is null or coalesce(last_seen_at, created_at) + make_interval(secs => (policy->>'sessionIdleSeconds')::int
        + case when last_seen_at is null then 0 else ${LAST_SEEN_WRITE_INTERVAL_MS / 1000} end) > now())),
  served as (
    select u.id, u.email, u.first_name, u.last_name, u.roles, u.groups, u.status,
      t.id as tenant_id, t.slug as tenant_slug, t.name as tenant_name,
      a.tenant_ids as app_tenants, a.id is not null as app_exists,
      case when i.session_uid is null then null else exists (select 1 from live) end as portal_live,
      exists (select 1 from tenant_domains d where d.tenant_id = t.id and d.domain = split_part(lower(u.email), '@', 2)
        and (d.added_by = 'operator' or d.verified)) as email_trusted,
      i.valid and u.status = 'active' and (i.client_id is null or a.id is not null) and (a.tenant_ids is null or t.id = any(a.tenant_ids)) as admitted
    from input i join users u on u.id = i.sub join tenants t on t.id = u.tenant_id left join applications a on a.client_id = i.client_id),
  touched as (
    update sessions set last_seen_at = now() where id = (select id from live) and (select admitted from served)
      and (last_seen_at is null or last_seen_at < now() - make_interval(secs => ${LAST_SEEN_WRITE_INTERVAL_MS / 1000})) returning id),
  account as (select *, (select count(*) from touched)::int as touched from served)`;
const ACCOUNT_SQL = `with input as (select $1::text as sub, $2::text as client_id, $3::text as session_uid, true as valid), ${ACCOUNT_CTES} select * from account`;

/**
 * A login interaction's result stored (the SSO callback's), read back with the account it signed in
 * for the authorization resume this process makes next (store.ts): its `returnTo`, or null when the
 * interaction is gone.
 */
export const saveLoginResult = (uid: string, result: Record<string, unknown>) => saveInteractionResult(uid, result, ACCOUNT_CTES);

/**
 * The routes that read the account a token names, or the one a finished login interaction signed
 * in (the authorization resume): it is read with that record (store.ts).
 */
const ACCOUNT_READ_ALONG = new Set(['token', 'userinfo', 'introspection', 'resume']);

type AccountAhead = (request: object | undefined, sub: string, clientId: string | null, sessionUid: string | null) => Record<string, unknown> | null | undefined;

async function findAccount(ctx: Ctx | undefined, sub: string, token: { clientId?: string; sessionUid?: string } | undefined, ahead: AccountAhead) {
  const clientId = token?.clientId ?? ctx?.oidc?.client?.clientId ?? null;
  const sessionUid = token?.sessionUid ?? null;
  // The query reads sessions' links: one pending in this request's writes is sent first.
  const batch = writes.of(ctx);
  if (batch?.holds(['Session'])) await batch.flush();
  const known = ahead(ctx, sub, clientId, sessionUid) as AccountRow | null | undefined;
  let row = known ?? undefined;
  if (known === undefined) {
    const db = await dbHandle();
    [row] = await db.queryPrepared<AccountRow>(ACCOUNT_SQL, [sub, clientId, sessionUid]);
  }
  if (!row || row.status !== 'active') return undefined;
  if (clientId && !row.app_exists) return undefined;
  if (row.app_tenants && !row.app_tenants.includes(row.tenant_id)) return undefined;
  if (row.portal_live === false) return undefined;
  const name = [row.first_name, row.last_name].filter(Boolean).join(' ') || row.email;
  return {
    accountId: sub,
    tenantId: row.tenant_id,
    async claims(use: string) {
      // An ID token travels in cookies and URLs (id_token_hint): past GROUPS_IN_ID_TOKEN groups or
      // GROUP_BYTES_IN_ID_TOKEN it names userinfo as the source of `groups` instead (OIDC Core
      // 5.6.2, distributed claims).
      const groupsHere =
        use !== 'id_token' ||
        (row.groups.length <= GROUPS_IN_ID_TOKEN && Buffer.byteLength(JSON.stringify(row.groups)) <= GROUP_BYTES_IN_ID_TOKEN);
      return {
        sub,
        email: row.email,
        // Verified when the address is on a domain the tenant owns (operator-added or DNS-verified);
        // an address on an `allowedDomains` entry is the IdP's word only.
        email_verified: row.email_trusted,
        name,
        given_name: row.first_name ?? undefined,
        family_name: row.last_name ?? undefined,
        org_id: row.tenant_id,
        org_slug: row.tenant_slug,
        org_name: row.tenant_name,
        roles: row.roles,
        ...(groupsHere
          ? { groups: row.groups }
          : { _claim_names: { groups: 'groups' }, _claim_sources: { groups: { endpoint: `${env().PUBLIC_URL}${USERINFO_PATH}` } } }),
      };
    },
  };
}

/**
 * OIDC Core §11 lets an OP grant offline_access without prompt=consent where other conditions
 * permit it: here, the operator registered the application. The library always drops it without
 * prompt=consent, so it is put back when the request asked for it.
 */
function restoreOfflineAccess(ctx: Ctx) {
  const { oidc } = ctx;
  if (oidc.route !== 'authorization') return;
  const raw = typeof ctx.query.scope === 'string' ? ctx.query.scope.split(' ') : [];
  if (!raw.includes('offline_access') || !oidc.client.grantTypeAllowed('refresh_token')) return;
  const scopes = new Set(String(oidc.params.scope ?? '').split(' ').filter(Boolean));
  scopes.add('offline_access');
  oidc.params.scope = [...scopes].join(' ');
}

const AUTO_SUBMIT_HASH = `'sha256-${createHash('sha256').update(AUTO_SUBMIT_SCRIPT).digest('base64')}'`;

/** A strict CSP on the provider's HTML; forms may post to the client's registered origins. */
const csp: Middleware = async (ctx, next) => {
  // Set before the route runs: the provider adds the hash of its own form_post script to it.
  ctx.set('content-security-policy', `default-src 'none'; script-src ${AUTO_SUBMIT_HASH}; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`);
  await next();
  if (!String(ctx.response.get('content-type') ?? '').startsWith('text/html')) {
    ctx.remove('content-security-policy');
    return;
  }
  const c = ctx.oidc?.client;
  const origins = c ? [...new Set<string>([...(c.redirectUris ?? []), ...(c.postLogoutRedirectUris ?? [])].map((u: string) => new URL(u).origin))] : [];
  if (origins.length) ctx.set('content-security-policy', String(ctx.response.get('content-security-policy')).replace("form-action 'self'", `form-action 'self' ${origins.join(' ')}`));
};

/** The application row the provider read for this request (its client), so it is not read twice. */
const appOfRequest = new WeakMap<object, Application>();
async function clientOfRequest(clientId: string): Promise<Application | null> {
  const app = await applicationByClientId(clientId);
  const ctx = Provider.ctx;
  if (ctx && app) appOfRequest.set(ctx, app);
  return app;
}

/** A page the browser navigates to (`Sec-Fetch-Dest` absent or `document`), not an image or script of some page. */
const navigation = (dest: string | null | undefined) => !dest || dest === 'document';

/** A provider request's client address and user agent, by the portal's one rule (requestMeta). */
const metaOf = (ctx: Ctx) => requestMeta({ headers: { get: (name: string) => ctx.get(name) || null } });

/** The portal session a silent authorization adopted in this request (it links the provider session). */
const adoptedPortal = new WeakMap<object, PortalLink & { expiresAt: number }>();

/**
 * `prompt=none` from a browser that signed in to its tenant at the portal (`/sso`) but never
 * through the provider: no page may be shown, so the login interaction cannot run. Its portal
 * session becomes the provider session's sign-in here, exactly when the interaction would have
 * taken it at once: the tenant named (`organization`) or hinted (`login_hint`'s domain), if any, is
 * the session's, and the session is not from an IdP-initiated sign-in (that one the person confirms
 * on a page, which prompt=none cannot show); the tenant's IP
 * allowlist admits the request; the application is open to the tenant. Otherwise nothing changes,
 * and the provider answers `login_required`. With `max_age`, only a session the IdP was made to
 * sign in afresh, within it (meetsMaxAge).
 */
async function adoptPortalSession(ctx: Ctx): Promise<void> {
  const { oidc } = ctx;
  if (oidc.route !== 'authorization' || oidc.session.accountId) return;
  if (!String(oidc.params.prompt ?? '').split(' ').includes('none')) return;
  const portal = await portalSessionOf(ctx.get('cookie') || null);
  if (!portal) return;
  if (!servesRequest(portal, oidc.params) || portal.unsolicited) return;
  const maxAge = maxAgeOf(oidc.params);
  if (maxAge !== undefined && !meetsMaxAge(portal, maxAge)) return;
  const app = appOfRequest.get(ctx) ?? (await applicationByClientId(oidc.client.clientId));
  if (!app || (app.tenantIds && !app.tenantIds.includes(portal.tenant.id))) return;
  if (!signInIpAllowed(portal.tenant.signInPolicy ?? {}, metaOf(ctx).ip)) return;
  // A session that existed before this sign-in gets a new ID (as the provider's own resume does):
  // a session cookie planted in this browser must not end up naming the signed-in session.
  if (!oidc.session.new) oidc.session.resetIdentifier();
  oidc.session.loginAccount({ accountId: portal.userId, loginTs: portal.authTime, amr: ['ext'] });
  adoptedPortal.set(ctx, { sessionId: portal.sessionId, tenantId: portal.tenant.id, expiresAt: portal.expiresAt });
}

/**
 * A request path in the provider's own terms: its router ignores letter case and one trailing
 * slash (`/oidc/AUTH/` is the authorization endpoint).
 */
const routePath = (path: string) => path.toLowerCase().replace(/(.)\/$/, '$1');

/**
 * The authorization resume and the token endpoint write in runs (grant, code, session and its
 * link; access and refresh token): their writes go in one statement before the answer
 * (WriteBatch). Nothing is answered before they are stored.
 */
const writes = writeBatching<Ctx>(
  (path) => routePath(path) === `${PREFIX}/token` || routePath(path).startsWith(`${PREFIX}/auth/`),
  // The code or refresh token was redeemed by another request first: what this one made is not
  // stored (and the grant is revoked), so it answers as the provider does to a reuse.
  (ctx, err) => {
    const refusal = new errors.InvalidGrant(err.message) as Error & { status: number; error: string; error_description: string };
    ctx.status = refusal.status;
    ctx.type = 'json';
    ctx.body = { error: refusal.error, error_description: refusal.error_description };
    ctx.set('cache-control', 'no-store');
  },
);

/** Token requests counted by the answer given: issued only once the tokens are stored (a lost redemption race is refused). */
const countGrants: Middleware = async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'token') return;
  countToken(String(ctx.oidc.params?.grant_type ?? 'unknown'), ctx.status < 400 ? 'issued' : 'refused');
};

/**
 * `application.signed_in` in the tenant's log, once per sign-in that ends at an application with a
 * code: in the request's write batch when it has one (the authorization resume), so that the code
 * and its event are stored together, in one statement.
 */
const auditSignIn: Middleware = async (ctx, next) => {
  await next();
  const { oidc } = ctx;
  if (!oidc || !['authorization', 'resume'].includes(oidc.route) || ctx.status !== 303 && ctx.status !== 302 && ctx.status !== 200) return;
  const code = oidc.entities?.AuthorizationCode;
  const account = oidc.entities?.Account ?? oidc.account;
  if (!code || !account?.tenantId) return;
  const known = appOfRequest.get(ctx);
  const app = known?.clientId === oidc.client.clientId ? known : await applicationByClientId(oidc.client.clientId);
  const meta = { ...metaOf(ctx), actor: { type: 'user' as const, id: account.accountId, label: null } };
  const event = {
    tenantId: account.tenantId,
    action: 'application.signed_in',
    target: { type: 'application', id: app?.id ?? oidc.client.clientId, label: app?.name ?? oidc.client.clientId },
    details: { clientId: oidc.client.clientId, scope: code.scope },
  };
  const batch = writes.of(ctx);
  if (batch) batch.along(auditInsert(meta, [event]).statement!);
  // One statement (an insert needs no transaction of its own).
  else await record(await getDb(), meta, event);
};

/**
 * An authorization request that needs a sign-in answers with the login interaction's first step
 * (interactionStep) rather than a redirect to the interaction's page: the browser goes from the
 * application straight to its organisation's IdP (or to the email page), a hop and a read of the
 * interaction fewer. The interaction cookies the provider set go with it; the interaction's page
 * serves the steps after the first. The request's writes (the interaction; or a code, for a live
 * session) are held in a write batch and stored before the answer, with the SSO flow the step
 * starts, in one statement: all of them or none (a 503).
 */
const beginInteraction: Middleware = async (ctx, next) => {
  const batch = ctx.method === 'GET' && routePath(ctx.path) === `${PREFIX}/auth` ? writes.open(ctx) : undefined;
  await next();
  // A request that failed on the server stores none of its writes (as writeBatching).
  if (!batch || ctx.status >= 500) return;
  const interaction = ctx.oidc?.entities?.Interaction as InteractionRecord | undefined;
  // A page the browser navigates to only: neither a HEAD (which the provider serves as a GET) nor
  // an image or script of another site starts a sign-in.
  const starts =
    !!interaction &&
    navigation(ctx.get('sec-fetch-dest')) &&
    ctx.oidc?.route === 'authorization' &&
    ctx.status === 303 &&
    ctx.response.get('location') === interactionPath(interaction.uid);
  let answer: Response | null;
  let stored = false;
  try {
    answer = await unlessDatabaseDown(async () => {
      const step = starts ? await firstStep(ctx, interaction!, batch) : null;
      await batch.flush();
      stored = true;
      return step;
    });
  } catch (err) {
    log('error', 'could not store an authorization request', { err, clientId: ctx.oidc?.client?.clientId });
    answer = new Response('Sign-in could not be started; try again shortly.', { status: 503, headers: { 'cache-control': 'no-store', 'retry-after': '5' } });
  }
  // Nothing was stored: the provider's cookies (an interaction, a session) would name nothing.
  if (!stored) ctx.remove('set-cookie');
  // Null: the provider's answer stands.
  if (!answer) return;
  ctx.body = await answer.text();
  ctx.status = answer.status;
  for (const name of ['location', 'content-type', 'cache-control']) ctx.remove(name);
  answer.headers.forEach((value, name) => {
    if (name !== 'set-cookie') ctx.set(name, value);
  });
  for (const c of answer.headers.getSetCookie()) ctx.append('set-cookie', c);
};

/** The interaction's first step, its writes in the request's batch; null (the provider's redirect stands) when it fails other than by the database. */
async function firstStep(ctx: Ctx, interaction: InteractionRecord, batch: WriteBatch): Promise<Response | null> {
  try {
    return await writes.within(batch, () =>
      interactionStep(interaction, { step: 'start', cookie: ctx.get('cookie') || null, meta: metaOf(ctx), along: (statement) => batch.along(statement) }),
    );
  } catch (err) {
    if (await isDatabaseFault(err)) throw err;
    // The interaction's page runs the step again.
    log('error', 'could not begin the sign-in of an authorization request', { err, clientId: ctx.oidc.client?.clientId, interaction: interaction.uid });
    return null;
  }
}

/**
 * RP-initiated logout (and the provider's own logout when a browser switches accounts) also ends
 * the portal session the provider session came from, and signs out at the SAML IdP when it has a
 * single logout service; the browser's cookie is cleared only when it names that session (a
 * switch to another account keeps the new one).
 */
const endPortalSession: Middleware = async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'end_session_confirm' || ctx.status !== 303) return;
  // The provider session just ended (still in memory here): its uid names the portal session.
  const uid = ctx.oidc.session?.uid as string | undefined;
  if (!uid) return;
  const db = await dbHandle();
  const [link] = await db.queryPrepared<{ portal_session_id: string }>('select portal_session_id from oidc_session_links where session_uid = $1', [uid]);
  if (!link) return;
  // A session from a SAML IdP with single logout: the browser goes on to the IdP with a signed
  // LogoutRequest, and from its answer to the application's post_logout_redirect_uri.
  const idpLogout = await spLogoutTarget(await ssoOfSession(link.portal_session_id), ctx.response.get('location') || null);
  await endSession(link.portal_session_id);
  if (idpLogout) ctx.set('location', idpLogout);
  const s = await sessionFromCookie(ctx.get('cookie') || null);
  if (s?.sid === link.portal_session_id) {
    ctx.append('set-cookie', clearSessionCookie());
  }
};

/**
 * An RP-initiated logout from a browser with no session of the provider (it sent none, or that
 * session already ended) has nothing to sign out of: the provider's page would only submit itself.
 * It is confirmed on the server (oidcEndpoint), as a logout the hint proves is: straight back to the
 * application's registered post_logout_redirect_uri (which the provider checked), or its own page.
 */
const confirmEmptyLogout: Middleware = async (ctx, next) => {
  await next();
  if (ctx.oidc?.route !== 'end_session' || ctx.status !== 200 || ctx.oidc.session?.accountId) return;
  const secret = (ctx.oidc.session?.state as { secret?: string } | undefined)?.secret;
  if (secret) ctx.set(CONFIRM_HEADER, secret);
};

function build(keys: Awaited<ReturnType<typeof signingKeys>>): OidcProvider {
  const { Check } = interactionPolicy;
  const policy = interactionPolicy.base();
  // Whether to sign in again is decided by the portal's own session: it may have ended, belong to
  // another user, the request may name another organisation, or come from an address the tenant does not admit.
  policy.get('login').checks.add(
    new Check('portal_session', 'the portal session ended, changed or is of another organisation', 'login_required', async (ctx: Ctx) => {
      const { oidc } = ctx;
      if (!oidc.session.accountId || oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
      if (!oidc.account) return Check.REQUEST_PROMPT;
      const portal = await portalSessionOf(ctx.get('cookie') || null);
      if (!portal || portal.userId !== oidc.session.accountId) return Check.REQUEST_PROMPT;
      if (!servesRequest(portal, oidc.params)) return Check.REQUEST_PROMPT;
      // max_age: the provider compares it with the session's sign-in, which counts as an
      // authentication only when the IdP was made to sign the person in afresh (meetsMaxAge).
      const maxAge = maxAgeOf(oidc.params);
      if (maxAge !== undefined && !meetsMaxAge(portal, maxAge)) return Check.REQUEST_PROMPT;
      // The tenant's IP allowlist, as for a sign-in: the interaction then refuses (access_denied).
      if (!signInIpAllowed(portal.tenant.signInPolicy ?? {}, metaOf(ctx).ip)) return Check.REQUEST_PROMPT;
      return Check.NO_NEED_TO_PROMPT;
    }),
  );

  const secret = env().AUTH_SECRET;
  const secure = env().PUBLIC_URL.startsWith('https:');
  const Adapter = adapterClass({
    clients: clientOfRequest,
    metadata: clientMetadata,
    currentLink: () => (Provider.ctx?.oidc?.result?.portal as PortalLink | undefined) ?? (Provider.ctx ? adoptedPortal.get(Provider.ctx) : undefined),
    invalidGrant: (m) => new errors.InvalidGrant(m),
    batch: () => writes.of(Provider.ctx),
    request: () => Provider.ctx,
    account: {
      ctes: ACCOUNT_CTES,
      wanted: (ctx) => ACCOUNT_READ_ALONG.has((ctx as Ctx).oidc?.route),
      requester: (ctx) => ((ctx as Ctx).oidc?.client?.clientId as string | undefined) ?? null,
    },
  });
  const accountOf = (ctx: Ctx | undefined, sub: string, token?: { clientId?: string; sessionUid?: string }) => findAccount(ctx, sub, token, Adapter.accountAhead);

  const provider = new Provider(env().PUBLIC_URL, {
    adapter: Adapter,
    jwks: jwksOf(keys),
    cookies: {
      keys: [Buffer.from(hkdfSync('sha256', secret, 'portal', 'oidc cookies v1', 32)).toString('base64url')],
      names: { session: 'oidc_session', interaction: 'oidc_interaction', resume: 'oidc_resume' },
      long: { httpOnly: true, sameSite: 'lax', secure },
      short: { httpOnly: true, sameSite: 'lax', secure },
    },
    routes: {
      authorization: `${PREFIX}/auth`,
      token: `${PREFIX}/token`,
      userinfo: USERINFO_PATH,
      jwks: `${PREFIX}/jwks`,
      revocation: `${PREFIX}/token/revocation`,
      introspection: `${PREFIX}/token/introspection`,
      end_session: `${PREFIX}/session/end`,
      pushed_authorization_request: `${PREFIX}/request`,
      registration: `${PREFIX}/reg`,
      code_verification: `${PREFIX}/device`,
      device_authorization: `${PREFIX}/device/auth`,
      backchannel_authentication: `${PREFIX}/backchannel`,
      challenge: `${PREFIX}/challenge`,
    },
    interactions: { policy, url: (_ctx: Ctx, i: { uid: string }) => `${PREFIX}/interaction/${i.uid}` },
    responseTypes: ['code'],
    scopes: [...SCOPES],
    claims: {
      openid: ['sub', 'auth_time'],
      profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'],
      organization: ['org_id', 'org_slug', 'org_name'],
      roles: ['roles'],
      groups: ['groups'],
      sid: null,
      acr: null,
      amr: null,
    },
    // The contract lists the scope claims in the ID token too.
    conformIdTokenClaims: false,
    // `groups` of a user in very many groups (findAccount).
    discovery: { claim_types_supported: ['normal', 'distributed'] },
    extraParams: {
      // Runs for every authorization request, after the library dropped offline_access.
      async organization(ctx: Ctx, value: unknown) {
        restoreOfflineAccess(ctx);
        if (value !== undefined && (typeof value !== 'string' || !/^[A-Za-z0-9_.-]{1,128}$/.test(value))) {
          throw new errors.InvalidRequest('organization must be a tenant slug or ID');
        }
        // Before the provider loads the account (the next steps of the authorization request).
        await adoptPortalSession(ctx);
      },
    },
    // S256 only (the library refuses plain); required for public applications, honoured for all.
    pkce: { required: (_ctx: Ctx, client: { clientAuthMethod: string }) => client.clientAuthMethod === 'none' },
    features: {
      devInteractions: { enabled: false },
      // Own tokens only; a token of a user who is suspended, deleted or whose session ended reads inactive.
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx: Ctx, client: { clientId: string }, token: { clientId: string; accountId?: string; sessionUid?: string }) =>
          token.clientId === client.clientId && (!token.accountId || !!(await accountOf(ctx, token.accountId, token))),
      },
      revocation: { enabled: true, allowedPolicy: async (_c: Ctx, client: { clientId: string }, token: { clientId: string }) => token.clientId === client.clientId },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx: Ctx, form: string) {
          // Signs out at once when the application proved it is this very session (an id_token_hint
          // with this session's user and sid); otherwise asks. `logout=yes` ends the whole session.
          const hint = ctx.oidc.entities.IdTokenHint;
          const clientId = ctx.oidc.client?.clientId;
          // The session's sid for that client, read without `sidFor`, which would add the client to the
          // session (and a confirmed logout would then send it a logout token without a sid).
          const sid = clientId ? (ctx.oidc.session.authorizations as Record<string, { sid?: string }> | undefined)?.[clientId]?.sid : undefined;
          const auto = !!hint && hint.payload?.sub === ctx.oidc.session.accountId && !!sid && hint.payload?.sid === sid;
          const yes = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
          // The page stays the answer's body; oidcEndpoint submits it on the server (no script needed).
          const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
          if (auto && xsrf) ctx.set(CONFIRM_HEADER, xsrf);
          ctx.type = 'html';
          ctx.body =
            `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head>` +
            `<body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px">${yes}` +
            (auto
              ? `<script>${AUTO_SUBMIT_SCRIPT}</script><noscript><button type="submit" form="op.logoutForm">Sign out</button></noscript>`
              : `<h1>Sign out?</h1><p>You will be signed out of every application of this browser session.</p><button type="submit" form="op.logoutForm">Sign out</button>`) +
            `</body></html>`;
        },
        async postLogoutSuccessSource(ctx: Ctx) {
          ctx.type = 'html';
          ctx.body = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px"><h1>Signed out</h1><p>You are signed out.</p></body></html>';
        },
      },
      pushedAuthorizationRequests: { enabled: false },
    },
    // Every code and token is bound to the provider session, which lives as long as the portal
    // session it came from: when that ends (lib/applications/backchannel.ts), they all die.
    expiresWithSession: async () => true,
    issueRefreshToken: async (_ctx: Ctx, client: { grantTypeAllowed(t: string): boolean }, code: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    revokeGrantPolicy: () => true,
    async loadExistingGrant(ctx: Ctx) {
      // The operator's own applications: no consent screen. The session's grant for this client,
      // extended with what the request asks for; and `sid` in every ID token.
      const { client, session, params, provider: p } = ctx.oidc;
      ctx.oidc.claims.id_token = { ...ctx.oidc.claims.id_token, sid: null, auth_time: null };
      const accountId = ctx.oidc.account.accountId;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      let grant = grantId ? await p.Grant.find(grantId) : undefined;
      if (grant && (grant.accountId !== accountId || grant.clientId !== client.clientId)) grant = undefined;
      const requested = String(params.scope ?? '').split(' ').filter(Boolean);
      const held = new Set(String(grant?.getOIDCScope() ?? '').split(' '));
      if (!grant || requested.some((s) => !held.has(s))) {
        grant ??= new p.Grant({ accountId, clientId: client.clientId });
        grant.addOIDCScope(requested.join(' '));
        await grant.save();
      }
      return grant;
    },
    findAccount: accountOf,
    clientBasedCORS(_ctx: Ctx, origin: string, client: { redirectUris: string[] }) {
      return origin !== 'null' && client.redirectUris.some((u) => new URL(u).origin === origin);
    },
    async renderError(ctx: Ctx, out: { error: string; error_description?: string }) {
      // The status is already set (400 for an unknown client or an unregistered redirect URI): kept.
      ctx.type = 'html';
      ctx.body =
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head>` +
        `<body style="font-family:ui-sans-serif,system-ui,sans-serif;padding:40px"><h1>Sign-in error</h1><p role="alert">${escapeHtml(out.error_description ?? out.error)}</p>` +
        `<p>Error code: <code data-reason>${escapeHtml(out.error)}</code></p></body></html>`;
    },
    ttl: {
      ...TTL,
      // Synchronous (the library does not await it): as long as the portal session it comes from.
      Session(ctx: Ctx | undefined, session: { exp?: number }) {
        const now = Math.floor(Date.now() / 1000);
        const portalExp = (ctx?.oidc?.result?.portal?.expiresAt as number | undefined) ?? (ctx ? adoptedPortal.get(ctx)?.expiresAt : undefined);
        if (portalExp) return Math.max(1, portalExp - now);
        if (session.exp) return Math.max(1, session.exp - now);
        return 3600;
      },
    },
    // The logout tokens it sends (lib/applications/backchannel.ts): permitted addresses only.
    fetch: backchannelFetch,
  });

  // Client secrets are kept as SHA-256 hashes; comparing them is the library's extension point.
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const got = Buffer.from(sha256hex(actual), 'hex');
    const want = String(this.clientSecret ?? '');
    return want.length === 64 && timingSafeEqual(Buffer.from(want, 'hex'), got);
  };
  // Outermost: its answer replaces the provider's redirect as it is.
  provider.use(beginInteraction);
  provider.use(csp);
  provider.use(endPortalSession);
  provider.use(confirmEmptyLogout);
  provider.use(countGrants);
  // The writes are stored before anything is answered; the sign-in's event with them (inside).
  provider.use(writes.middleware);
  provider.use(auditSignIn);
  provider.on('server_error', (_ctx: Ctx, err: Error) => log('error', 'openid provider error', { err }));
  // A back-channel logout the library sent itself (RP-initiated logout) that failed is retried.
  provider.on('backchannel.error', (_ctx: Ctx, err: Error, client: { clientId: string }, accountId: string, sid: string) => {
    void enqueueRetry(client.clientId, accountId, sid, err.message).catch((e) => log('error', 'could not queue a back-channel logout', { err: e }));
  });
  return provider;
}

/** The redirect URIs a request names, in the form the registered ones are compared in (clientMetadata). */
const canonicalRedirects: ParamRewrite = (params) => {
  let changed = false;
  for (const name of ['redirect_uri', 'post_logout_redirect_uri']) {
    const values = params.getAll(name);
    // One value only: a repeated parameter is the provider's to refuse.
    if (values.length !== 1 || canonicalUri(values[0]) === values[0]) continue;
    params.set(name, canonicalUri(values[0]));
    changed = true;
  }
  return changed;
};

/**
 * The authorization and end-session endpoints take a posted form as they take GET (OIDC Core
 * 3.1.2.1, RP-Initiated Logout 2): the browser is sent on to the same request as a GET (the form's
 * parameters, then the query's). The library serves POST there only with SameSite=None session
 * cookies, which the portal does not set; a form another site posts carries no SameSite=Lax
 * cookie, and served as it came it would start a provider session in its place, hiding the
 * browser's own from a later logout. The GET the browser then makes is a navigation, which carries
 * them. Null for every other request.
 */
const POSTABLE = new Set([`${PREFIX}/auth`, `${PREFIX}/session/end`]);
/**
 * The largest form sent on as a URL: the GET's request line must pass the server's and proxies'
 * header limits (Node's 16 KiB for all headers, 8 KiB request lines in common proxies), cookies
 * included. Its parameters go into the browser's history as a GET's do.
 */
const POSTED_FORM_LIMIT = 8 * 1024;
async function postedForm(request: Request): Promise<Response | null> {
  const url = new URL(request.url);
  if (request.method !== 'POST' || !POSTABLE.has(routePath(url.pathname))) return null;
  if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers.get('content-type') ?? '')) return null;
  const body = await readCapped(request, POSTED_FORM_LIMIT);
  if (body === null) return new Response(`Form too large: at most ${POSTED_FORM_LIMIT / 1024} KiB`, { status: 413, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  const params = new URLSearchParams(body.toString('utf8'));
  for (const [k, v] of url.searchParams) params.append(k, v);
  return new Response(null, { status: 303, headers: { location: `${url.pathname}?${params}`, 'cache-control': 'no-store' } });
}

/** Set by logoutSource when the logout needs no question; oidcEndpoint confirms it and drops the header. */
const CONFIRM_HEADER = 'x-portal-logout-confirm';

/**
 * Every request to the provider's endpoints (app/oidc/[...path]); a form posted to the
 * authorization or end-session endpoint is sent on as its GET (postedForm). An RP-initiated logout whose
 * id_token_hint proves the browser's own session (logoutSource) is confirmed here, on the server,
 * with the form the page would have submitted: the application's browser gets the redirect at once
 * (as OIDC RP-Initiated Logout allows when the hint belongs to the session), with or without
 * scripts. The cookies the first step set go with the confirmation and back to the browser.
 */
export async function oidcEndpoint(request: Request): Promise<Response> {
  const posted = await postedForm(request);
  if (posted) return posted;
  const publicUrl = new URL(env().PUBLIC_URL);
  const handler = (await oidcProvider()).callback();
  const first = await runNodeHandler(handler, request, publicUrl, canonicalRedirects);
  const xsrf = first.headers.get(CONFIRM_HEADER);
  first.headers.delete(CONFIRM_HEADER);
  // Only a page the browser navigates to (not a HEAD, nor an image or script of some page).
  if (!xsrf || !['GET', 'POST'].includes(request.method) || !navigation(request.headers.get('sec-fetch-dest'))) return first;
  const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeaderAfter(request.headers.get('cookie'), first.headers.getSetCookie()) });
  for (const h of ['x-forwarded-for', 'user-agent']) if (request.headers.get(h)) headers.set(h, request.headers.get(h)!);
  const confirm = new Request(new URL(`${PREFIX}/session/end/confirm`, publicUrl), { method: 'POST', headers, body: new URLSearchParams({ xsrf, logout: 'yes' }).toString() });
  const second = await runNodeHandler(handler, confirm, publicUrl);
  const out = new Headers(second.headers);
  out.delete('set-cookie');
  for (const c of [...first.headers.getSetCookie(), ...second.headers.getSetCookie()]) out.append('set-cookie', c);
  return new Response(second.body, { status: second.status, headers: out });
}

/**
 * The Cookie pairs of the provider's resume cookie for interaction `uid` (its value, and its
 * signature with the provider's keys), as the provider set it in the browser with the interaction:
 * for the authorization resume made on the browser's behalf inside the SSO callback (resumeAfterSso).
 */
export async function resumeCookie(uid: string): Promise<string[]> {
  const provider = await oidcProvider();
  const res = new BufferedResponse();
  const ctx = provider.createContext({ headers: {}, socket: {}, url: '/', method: 'GET' }, res);
  ctx.cookies.set(provider.cookieName('resume'), uid, { signed: true, httpOnly: true, path: `${PREFIX}/auth/${uid}` });
  const set = res.getHeader('set-cookie');
  return Array.isArray(set) ? set : [];
}

const g = globalThis as unknown as { __portalOidc?: { provider: OidcProvider; version: string; checkedAt: number } };
const KEY_CHECK_MS = 30_000;

/**
 * The provider of this process, rebuilt when the signing keys change (checked at most every 30 s;
 * the key set is fixed when a provider is built). Kept on globalThis so every route shares it.
 */
export async function oidcProvider(): Promise<OidcProvider> {
  const now = Date.now();
  const cur = g.__portalOidc;
  if (cur && now - cur.checkedAt < KEY_CHECK_MS) return cur.provider;
  const keys = await signingKeys();
  const version = keySetVersion(keys);
  if (cur && cur.version === version) {
    cur.checkedAt = now;
    return cur.provider;
  }
  const provider = build(keys);
  g.__portalOidc = { provider, version, checkedAt: now };
  return provider;
}

/**
 * An operator's rotation on demand (API and console): the key published ahead signs from now; the
 * one it replaces may be exposed, so it is withdrawn once the tokens it signed have expired. This
 * instance signs with the new key at once, the others within 30 s (oidcProvider).
 */
export async function rotateSigningKeysNow(by: AuditCtx) {
  const rotated = await rotateSigningKeys({ force: true, keepRetiredSeconds: MAX_SIGNED_LIFETIME_SECONDS, by });
  if (!rotated) throw conflict('keys', 'the signing keys are being set up; try again in a moment');
  resetOidcProvider();
  return listSigningKeys();
}

/** Forgets the built provider (tests, after a key rotation). */
export function resetOidcProvider(): void {
  g.__portalOidc = undefined;
}

