import 'server-only';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { recordRefusal } from '../audit/record';
import { sessionFromCookie, sessionSetCookie } from '../auth/session-cookie';
import { supersedeSession } from '../dal/sessions';
import type { Ctx } from '../audit/types';
import { getDb } from '../db/client';
import { seenAssertions, sessions, ssoFlows, type Connection } from '../db/schema';
import { connectionsWithEntityId, findConnectionById } from '../dal/connections';
import { firstUseOfAssertion, putFlow, signInTenant, takeFlow } from '../dal/sign-in';
import type { TenantWithDomains } from '../dal/tenants';
import { env } from '../env';
import { log } from '../log';
import { countSignIn } from '../metrics';
import { signInUser, USER_SESSION_TTL_SECONDS, type IdpProfile } from '../provisioning/jit';
import { signInErrorPage } from './error-page';
import { autoPostPage } from '../http/html';
import { checkBrowserUrl } from '../http/safe-fetch';
import { LoginRejected, type LoginFailure } from './failures';
import { oidcAuthorization, oidcExchange, type OidcSignIn } from './oidc/rp';
import { checkSamlResponse, peekResponse, SamlRejection, type CheckedAssertion, type PeekedResponse } from './saml/checks';
import { completeTest, failTest, sessionNotOnOrAfterOf, type TestFlowDetail } from './connections/test-sign-in';
import { oidcRedirectUrlOf, sp } from './sp';
import { sessionHardEnd } from '../policies/session';
import { checkOidcMfa, checkSamlMfa, isNoAuthnContext, mfaRequiredFor, requestOidcMfa, samlMfaContext, signInIpAllowed, tenantPolicy } from '../policies/sso';
import { EngineRefusal, engineValidate } from './saml/engine';
import { authnRequest } from './saml/request';
import { spEncryptionKeys, type SpEncryptionKey } from './saml/sp-keys';

const FLOW_COOKIE = 'portal_sso_flow';
const FLOW_TTL_SECONDS = 600;
/** RelayStates the portal issues start with this; any other RelayState came from an IdP-initiated sign-in. */
const RELAY_PREFIX = 'portal_sso_';

/** `interaction`: the application sign-in (lib/applications/interaction.ts) that started this flow in this browser. */
/**
 * `forced`: the IdP was asked to sign the person in afresh (ForceAuthn, prompt=login).
 * `crossSite`: another site sent the browser to /sso (its session is then marked as one this
 * browser's person did not start, as an IdP-initiated one is).
 */
type FlowCookie = { state: string; connectionId: string; returnTo: string; exp: number; interaction?: string; forced?: true; crossSite?: true };

const b64url = (b: Buffer) => b.toString('base64url');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const mac = (data: string) => createHmac('sha256', env().AUTH_SECRET).update(`sso-flow:${data}`).digest('base64url');

/** Path=/api: the flow cookie goes to the callback (/api/sso/…) and to the OIDC redirect (/api/oauth/oidc). */
function cookieAttrs(maxAge: number): string {
  return `Path=/api; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${sp().secureCookies ? '; Secure' : ''}`;
}

function readFlowCookie(header: string | null): FlowCookie | null {
  const raw = header
    ?.split(/;\s*/)
    .find((c) => c.startsWith(`${FLOW_COOKIE}=`))
    ?.slice(FLOW_COOKIE.length + 1);
  if (!raw) return null;
  const [data, sig] = raw.split('.');
  if (!data || !sig) return null;
  const expected = Buffer.from(mac(data));
  if (expected.length !== Buffer.from(sig).length || !timingSafeEqual(expected, Buffer.from(sig))) return null;
  try {
    const v = JSON.parse(Buffer.from(data, 'base64url').toString()) as FlowCookie;
    return v.exp > Date.now() / 1000 ? v : null;
  } catch {
    return null;
  }
}

/**
 * A same-origin path to land on after sign-in; anything else becomes /app. The path is checked
 * after normalising it as a browser would (dot segments, percent-encoded dots), and again after
 * percent-decoding, so no form of it can name another host (`/..//evil`, `/%2e%2e//evil`,
 * `/./\\evil`) or carry control characters or backslashes.
 */
export function safeReturnTo(v: string | null | undefined): string {
  if (!v || !v.startsWith('/') || /[\u0000-\u001f\u007f\\]/.test(v)) return '/app';
  let u: URL;
  try {
    u = new URL(v, 'http://portal.invalid');
  } catch {
    return '/app';
  }
  if (u.origin !== 'http://portal.invalid') return '/app';
  let decoded = u.pathname;
  for (let i = 0; i < 3 && /%[0-9a-f]{2}/i.test(decoded); i++) {
    try {
      decoded = decodeURIComponent(decoded);
    } catch {
      return '/app';
    }
  }
  if (u.pathname.startsWith('//') || /\/\/|\\|[\u0000-\u001f\u007f]|(^|\/)\.\.?(\/|$)/.test(decoded)) return '/app';
  return `${u.pathname}${u.search}${u.hash}`;
}

/**
 * `sso.login_failed` in the tenant's log (the operator's when no tenant can be told). Anyone can
 * send refused requests: recorded by recordRefusal's rule (once a minute per source and reason;
 * per person too when the IdP vouched for one, `email` in `extra`). The metrics count every one.
 */
async function recordFailure(meta: Omit<Ctx, 'actor'>, tenantId: string | null, reason: LoginFailure, extra: Record<string, unknown> = {}) {
  try {
    const db = await getDb();
    const email = typeof extra.email === 'string' ? extra.email : null;
    await db.transaction((tx) =>
      recordRefusal(
        tx,
        { ...meta, actor: { type: 'idp', id: (extra.connectionId as string) ?? null, label: null } },
        {
          tenantId,
          action: 'sso.login_failed',
          outcome: 'failure',
          reason,
          target: extra.connectionId ? { type: 'connection', id: extra.connectionId as string } : null,
          details: extra,
        },
        email,
      ),
    );
  } catch (err) {
    log('error', 'could not record a failed sign-in', { err, reason });
  }
}

/**
 * A sign-in started for one of the operator's applications comes back to the OpenID Provider's
 * interaction (lib/applications/interaction.ts), refusals included, so that the application
 * learns of them (`error=access_denied`) instead of its user being left on the portal's page.
 */
const APP_RETURN = /^\/oidc\/interaction\/[A-Za-z0-9_-]{1,100}\/continue$/;
export const isAppReturn = (returnTo: string | null | undefined): returnTo is string => !!returnTo && APP_RETURN.test(returnTo);

/** The answer to a refused sign-in: the error page, or back to the application's interaction with the reason. */
export function refusalAnswer(reason: LoginFailure, status: number, returnTo?: string | null): Response {
  if (!isAppReturn(returnTo)) return signInErrorPage(reason, status);
  return new Response(null, { status: 303, headers: { location: `${returnTo}?error=${encodeURIComponent(reason)}`, 'cache-control': 'no-store' } });
}

/**
 * Ends a refused sign-in: the `sso.login_failed` audit event in the tenant and the error page
 * (or, for a sign-in of an application, the way back to it).
 */
export async function fail(
  meta: Omit<Ctx, 'actor'>,
  tenantId: string | null,
  reason: LoginFailure,
  status: number,
  extra: Record<string, unknown> = {},
  returnTo?: string | null,
  protocol: 'saml' | 'oidc' | 'unknown' = 'unknown',
) {
  countSignIn(protocol, 'failure', reason);
  await recordFailure(meta, tenantId, reason, extra);
  return refusalAnswer(reason, status, returnTo);
}

/**
 * SP-initiated sign-in. SAML: a signed AuthnRequest built by the library's SAML engine
 * (./saml/request.ts), whose ID the flow row remembers under its RelayState (for the ACS). OIDC:
 * the portal's own authorization request (./oidc/rp.ts), whose nonce and PKCE verifier stay in the
 * flow's row. Either way the flow is bound to this browser with a signed cookie holding `state`,
 * which the callback checks.
 */
export async function startSignIn(
  tenant: TenantWithDomains,
  connection: Connection,
  returnTo: string | null,
  /** A connection test (lib/sso/connections/test-sign-in.ts): signs nobody in; the result goes to the connection. */
  test?: TestFlowDetail,
  /**
   * `forceAuthn`: the IdP must sign the person in afresh (an application asked for prompt=login or
   * max_age). `interaction`: the application sign-in this flow serves, which checked that it is
   * this browser's; the callback finishes it (only a flow started so names one). `along`: the flow
   * is stored with that authorization request's own writes (putFlow). `crossSite`: another site
   * started it (/sso navigated to cross-site).
   */
  opts: { forceAuthn?: boolean; interaction?: string; along?: (statement: SQL) => void; crossSite?: boolean } = {},
): Promise<Response> {
  if (connection.tenantId !== tenant.id) throw new Error('connection of another tenant');
  const safeReturn = safeReturnTo(returnTo);
  // A sign-in for an application keeps its way back in the flow row too, for refusals at the ACS.
  const purpose = test
    ? { purpose: 'test' as const, detail: { actor: test.actor } }
    : isAppReturn(safeReturn)
      ? { detail: { returnTo: safeReturn } }
      : {};
  sweepNow();
  const state = b64url(randomBytes(16));
  // Sign-in policy: ask the IdP for MFA when this connection requires it (lib/policies/sso.ts).
  const mfa = mfaRequiredFor(tenant.signInPolicy ?? {}, connection);
  const expiresAt = new Date(Date.now() + FLOW_TTL_SECONDS * 1000);
  let location: URL;
  let postFields: Record<string, string> | null = null;

  if (connection.type === 'oidc') {
    const oidc = await oidcAuthorization(connection, state, { forceAuthn: opts.forceAuthn });
    const target = mfa ? requestOidcMfa({ redirect_url: oidc.url.href }).redirect_url! : oidc.url.href;
    location = checkBrowserUrl(target, { path: 'ssoUrl', allowLoopbackHttp: env().loopbackHttp });
    // The provider's answer names this flow by its state (also the flow cookie's); the nonce and
    // the PKCE verifier stay here, server-side, for the one exchange (takeFlow: single use).
    await putFlow({
      key: `oidc:${state}`,
      connectionId: connection.id,
      tenantId: tenant.id,
      ...purpose,
      detail: { ...purpose.detail, oidcRequest: { nonce: oidc.nonce, verifier: oidc.verifier } },
      expiresAt,
    }, opts.along);
  } else {
    const relayState = `${RELAY_PREFIX}${b64url(randomBytes(24))}`;
    const request = await authnRequest(connection, relayState, { forceAuthn: opts.forceAuthn, requestedContext: mfa ? samlMfaContext(connection) : null });
    // The ACS finds this flow by the RelayState the IdP returns; the answer must carry this request's ID.
    await putFlow({
      key: `relay:${relayState}`,
      connectionId: connection.id,
      tenantId: tenant.id,
      requestId: request.id,
      ...purpose,
      detail: { ...purpose.detail, state },
      expiresAt,
    }, opts.along);
    location = request.location;
    postFields = request.postFields;
  }

  const cookie: FlowCookie = {
    state,
    connectionId: connection.id,
    returnTo: safeReturn,
    exp: Math.floor(Date.now() / 1000) + FLOW_TTL_SECONDS,
    ...(opts.interaction ? { interaction: opts.interaction } : {}),
    ...(opts.forceAuthn ? { forced: true as const } : {}),
    ...(opts.crossSite ? { crossSite: true as const } : {}),
  };
  const data = b64url(Buffer.from(JSON.stringify(cookie)));
  const setCookie = `${FLOW_COOKIE}=${data}.${mac(data)}; ${cookieAttrs(FLOW_TTL_SECONDS)}`;
  if (!postFields) {
    const headers = new Headers({ 'cache-control': 'no-store', location: location.href });
    headers.append('set-cookie', setCookie);
    return new Response(null, { status: 302, headers });
  }
  const page = autoPostPage(location, postFields);
  page.headers.append('set-cookie', setCookie);
  return page;
}

const expectationsFor = (connection: Connection, expectedInResponseTo: string | null, decryptionKeys: SpEncryptionKey[]) => ({
  spEntityId: sp().entityId,
  acsUrl: sp().acsUrl,
  idpEntityId: connection.idp.entityId!,
  certificates: (connection.idp.certificates ?? []).map((c) => (c as { pem?: string }).pem ?? '').filter(Boolean),
  expectedInResponseTo,
  decryptionKeys: decryptionKeys.map((k) => k.privateKey),
  requireEncryption: connection.requireEncryptedAssertions,
});

/**
 * The email a checked assertion gives sign-in, derived as the SSO library derives its profile's:
 * the `email` attribute, else the emailaddress claim, else a NameID in the emailAddress format.
 */
function assertedEmail(a: CheckedAssertion): string | null {
  const v =
    a.attributes.email?.[0] ??
    a.attributes['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress']?.[0] ??
    (a.nameIdFormat === 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress' ? a.nameId : undefined);
  return v?.includes('@') ? v.trim().toLowerCase() : null;
}

const SIGNATURE_FAILURES = new Set(['signature_missing', 'signature_invalid', 'weak_algorithm', 'comment_forbidden']);

/**
 * The connection an unsolicited (IdP-initiated) response goes to, by its issuer. One connection
 * with that entity ID: that one (its own checks follow). Several (tenants of one IdP product, one
 * test IdP, or a copy of public metadata): of those active and accepting IdP-initiated sign-in,
 * each checks the response, and the one whose tenant owns the email domain of the assertion gets it.
 * Otherwise it is refused, in the audit logs of the tenants whose IdP certificate verified the
 * signature (a forged response with a shared public entity ID writes nowhere), with the reason
 * their checks gave (`unknown_connection` when they passed but no tenant owns the domain).
 */
async function unsolicitedConnection(
  peeked: PeekedResponse,
  issuer: string,
  decryptionKeys: SpEncryptionKey[],
): Promise<{ connection: Connection | null } | { refusedIn: Connection[]; reason: LoginFailure }> {
  const found = await connectionsWithEntityId(issuer);
  if (found.length <= 1) return { connection: found[0] ?? null };
  // Even one open connection gets it only by the owner rule: another tenant's admin may have
  // copied the IdP's public metadata (entity ID and certificate) into a connection of theirs.
  const open = found.filter((c) => c.status === 'active' && c.allowIdpInitiated);
  if (open.length === 0) return { refusedIn: found, reason: 'unsolicited_not_allowed' };
  // Each tenant read once (the partner rule below reads them all).
  const tenants = new Map<string, ReturnType<typeof signInTenant>>();
  const tenantOf = (id: string) => tenants.get(id) ?? tenants.set(id, signInTenant(id)).get(id)!;
  const owners: Connection[] = [];
  const passed: { c: Connection; domain: string | undefined }[] = [];
  const failed: { c: Connection; reason: LoginFailure }[] = [];
  for (const c of open) {
    let checked: CheckedAssertion;
    try {
      checked = checkSamlResponse(peeked, expectationsFor(c, null, decryptionKeys));
    } catch (e) {
      if (!(e instanceof SamlRejection)) throw e;
      failed.push({ c, reason: e.reason as LoginFailure });
      continue;
    }
    const domain = assertedEmail(checked)?.split('@')[1];
    passed.push({ c, domain });
    const tenant = domain ? await tenantOf(c.tenantId) : null;
    if (domain && tenant?.trustedDomains.includes(domain)) owners.push(c);
  }
  if (owners.length === 1) return { connection: owners[0] };
  // The one open connection also gets a domain its tenant only allows (partners), when no other
  // tenant with this entity ID owns or allows it too.
  const only = open.length === 1 && passed.length === 1 && !owners.length ? passed[0] : null;
  if (only?.domain) {
    const claims = await Promise.all([...new Set(found.map((c) => c.tenantId))].map(tenantOf));
    const claimants = claims.filter((t) => t && (t.trustedDomains.includes(only.domain!) || t.allowedDomains.includes(only.domain!)));
    if (claimants.length === 1 && claimants[0]!.id === only.c.tenantId) return { connection: only.c };
  }
  if (passed.length) return { refusedIn: passed.map((p) => p.c), reason: 'unknown_connection' };
  const verified = failed.filter((f) => !SIGNATURE_FAILURES.has(f.reason));
  if (verified.length) return { refusedIn: verified.map((f) => f.c), reason: verified[0].reason };
  return { refusedIn: [], reason: failed[0]?.reason ?? 'unknown_connection' };
}

/**
 * The ACS: the IdP's SAMLResponse, decrypted when encrypted, checked by the portal (signature over
 * the one assertion, exact audience, recipient, destination, InResponseTo bound to the request this
 * RelayState started, times) and by the library's SAML engine, then recorded against replay; the
 * checked profile waits under a one-time code for the callback.
 */
export async function handleAcs(form: URLSearchParams, meta: Omit<Ctx, 'actor'>): Promise<Response> {
  const samlResponse = form.get('SAMLResponse');
  const relayState = form.get('RelayState') ?? '';
  // The flow this RelayState started (SP-initiated): it names the connection and the request ID
  // the response must answer. One use only.
  const taken = relayState.startsWith(RELAY_PREFIX) ? await takeFlow(`relay:${relayState}`) : null;
  const flow = taken?.flow;
  const flowConnection = taken?.connection ?? null;
  const tenantOfFlow = flowConnection?.tenantId ?? null;
  // A connection test: its outcome goes to the connection (lastTest), and nobody is signed in.
  const test = flow?.purpose === 'test' && flowConnection ? { connection: flowConnection, detail: flow.detail as TestFlowDetail | null } : null;
  const appReturn = (flow?.detail as { returnTo?: string } | null)?.returnTo;
  const refuse = (tenantId: string | null, reason: LoginFailure, status: number, extra: Record<string, unknown> = {}) =>
    test
      ? failTest(meta, test.connection, test.detail, reason, { samlResponse, error: typeof extra.error === 'string' ? extra.error : null })
      : fail(meta, tenantId, reason, status, extra, appReturn, 'saml');
  if (!samlResponse) return refuse(tenantOfFlow, 'malformed_response', 400);
  let peeked: PeekedResponse;
  try {
    peeked = peekResponse(samlResponse);
  } catch (e) {
    const reason = e instanceof SamlRejection ? e.reason : 'malformed_response';
    return refuse(tenantOfFlow, reason as LoginFailure, 400, flowConnection ? { connectionId: flowConnection.id } : {});
  }
  const { issuer } = peeked;
  // The SP's encryption keys, needed only for an encrypted assertion.
  const decryptionKeys = peeked.encrypted ? await spEncryptionKeys() : [];
  // A flow names its connection; only an unsolicited response is matched by its (unsigned) issuer.
  let connection = taken ? flowConnection : null;
  if (!taken && issuer && !relayState.startsWith(RELAY_PREFIX)) {
    const pick = await unsolicitedConnection(peeked, issuer, decryptionKeys);
    if ('refusedIn' in pick) {
      // Several tenants use this IdP entity ID and the response could not be given to one of them.
      const status = pick.reason === 'unsolicited_not_allowed' ? 403 : 400;
      const extra = { issuer: issuer.slice(0, 300), sharedEntityId: true };
      for (const c of pick.refusedIn) await recordFailure(meta, c.tenantId, pick.reason, { ...extra, connectionId: c.id });
      return signInErrorPage(pick.reason, status);
    }
    connection = pick.connection;
  } else if (!taken && issuer) {
    // A RelayState of ours whose flow is gone (used, expired): in the tenant of the issuer when only one has it.
    const found = await connectionsWithEntityId(issuer);
    return refuse(found.length === 1 ? found[0].tenantId : null, 'unknown_request', 400, { issuer: issuer.slice(0, 300), ...(found.length === 1 ? { connectionId: found[0].id } : {}) });
  }
  if (!connection) {
    const reason = relayState.startsWith(RELAY_PREFIX) ? 'unknown_request' : 'unknown_connection';
    return refuse(null, reason, 400, { issuer: issuer?.slice(0, 300) ?? null });
  }
  const at = { connectionId: connection.id };
  if (!test && connection.status !== 'active') return fail(meta, connection.tenantId, 'connection_not_active', 403, at, appReturn, 'saml');
  // Sign-in policy: the tenant's IP allowlist, again at the ACS.
  const policy = taken?.tenant && flowConnection === connection ? (taken.tenant.signInPolicy ?? {}) : await tenantPolicy(connection.tenantId);
  if (!signInIpAllowed(policy, meta.ip)) return refuse(connection.tenantId, 'ip_not_allowed', 403, { ...at, ip: meta.ip ?? null });
  let expectedInResponseTo: string | null = null;
  if (flow) {
    expectedInResponseTo = flow.requestId;
  } else if (!connection.allowIdpInitiated) {
    return refuse(connection.tenantId, 'unsolicited_not_allowed', 403, at);
  }

  let checked;
  try {
    checked = checkSamlResponse(peeked, expectationsFor(connection, expectedInResponseTo, decryptionKeys));
  } catch (e) {
    // Sign-in policy: an IdP that could not do the MFA asked for says NoAuthnContext.
    if (e instanceof SamlRejection && isNoAuthnContext(e) && mfaRequiredFor(policy, connection)) {
      return refuse(connection.tenantId, 'mfa_required', 403, { ...at, authnContext: 'status NoAuthnContext' });
    }
    if (e instanceof SamlRejection) return refuse(connection.tenantId, e.reason as LoginFailure, 400, at);
    throw e;
  }
  // Sign-in policy: MFA, read from the signed assertion only.
  if (mfaRequiredFor(policy, connection)) {
    const mfa = checkSamlMfa(checked);
    if (!mfa.mfa) return refuse(connection.tenantId, 'mfa_required', 403, { ...at, authnContext: mfa.evidence?.slice(0, 300) ?? null });
  }
  // The second, independent validator: the library's SAML engine, on the same response. Both
  // must accept, and both must have read the same assertion. The engine runs its whole check once
  // per certificate it is given until one verifies: it gets those that signed.
  let validated: Awaited<ReturnType<typeof engineValidate>>;
  try {
    validated = await engineValidate(peeked.parsed.xml, {
      certificates: expectationsFor(connection, null, []).certificates.filter((_, i) => checked.signedWith.includes(i)),
      audience: sp().entityId,
      inResponseTo: expectedInResponseTo,
      ...(checked.decryptedWithKey !== null ? { decryptionKeyPem: decryptionKeys[checked.decryptedWithKey].privateKeyPem } : {}),
    });
  } catch (e) {
    if (!(e instanceof EngineRefusal)) throw e;
    log('warn', "the SAML engine refused a response the portal's checks accepted", { err: e.message, connectionId: connection.id });
    // An encrypted response's refusals all read the same (no decryption oracle through the engine).
    return refuse(connection.tenantId, checked.decryptedWithKey !== null ? 'decryption_failed' : e.reason, 400, at);
  }
  // Both validators must have read the one assertion: the same issuer and session.
  const sameSession = typeof validated.sessionIndex !== 'string' || validated.sessionIndex === checked.sessionIndex?.split(' ').filter(Boolean).join(' ');
  if (validated.issuer?.trim() !== checked.issuer || !sameSession) {
    log('warn', 'the SAML engine read another assertion than the portal', { connectionId: connection.id });
    return refuse(connection.tenantId, checked.decryptedWithKey !== null ? 'decryption_failed' : 'issuer_mismatch', 400, at);
  }
  const profile = toIdpProfile(validated.profile);

  const fresh = await firstUseOfAssertion(checked.assertionId, connection.id, checked.notOnOrAfter);
  if (!fresh) return refuse(connection.tenantId, 'replayed', 400, at);

  // The checked profile waits under a one-time code for the callback, where this browser's flow
  // cookie is sent (a cross-site POST to the ACS carries no SameSite=Lax cookie).
  const code = b64url(randomBytes(32));
  const state = (flow?.detail as { state?: string } | null)?.state;
  const saml = {
    issuer: checked.issuer,
    nameId: checked.nameId,
    nameIdFormat: checked.nameIdFormat,
    authnContextClassRef: checked.authnContextClassRef,
    sessionNotOnOrAfter: sessionNotOnOrAfterOf(samlResponse),
    attributes: { ...checked.attributes },
  };
  await putFlow({
    key: `code:${sha256(code)}`,
    connectionId: connection.id,
    tenantId: connection.tenantId,
    requestId: expectedInResponseTo,
    ...(test ? { purpose: 'test' as const } : {}),
    detail: {
      ...(test ? ({ actor: test.detail?.actor ?? { type: 'system' }, saml } satisfies TestFlowDetail) : {}),
      samlSignIn: { profile, nameId: checked.nameId, nameIdFormat: checked.nameIdFormat, sessionIndex: checked.sessionIndex } satisfies CheckedSaml,
      ...(state ? { state } : {}),
    },
    expiresAt: new Date(Date.now() + FLOW_TTL_SECONDS * 1000),
  });
  const next = new URL(sp().callbackUrl);
  next.searchParams.set('code', code);
  if (state) next.searchParams.set('state', state);
  return new Response(null, { status: 303, headers: { location: next.href, 'cache-control': 'no-store' } });
}

/** What the ACS checked, for the callback (in the `code:` flow row); NameID and SessionIndex for single logout. */
type CheckedSaml = { profile: IdpProfile; nameId: string; nameIdFormat: string | null; sessionIndex: string | null };

/**
 * Where an OIDC provider sends the browser back. The flow its `state` names (single use) holds
 * the nonce and PKCE verifier; the portal exchanges the code itself (./oidc/rp.ts: ID token
 * signature, claims and `iat` checked, one deadline, safe fetch) and stores the checked profile
 * under a code of its own, with which the browser goes on to the callback (the one place that
 * signs in, after checking the flow cookie again).
 *
 * The flow cookie (Path=/api) comes along from a browser: when it names another flow, the answer
 * is refused before any exchange (a provider answer planted in this browser); when no flow has
 * this state, the refusal is recorded in the tenant of the browser's own flow — `replayed` when
 * that flow had this very state. A request without the cookie is bound at the callback.
 */
export async function handleOidcRedirect(
  url: URL,
  meta: Omit<Ctx, 'actor'>,
  cookieHeader: string | null = null,
  /** Tests: a shorter deadline than the exchange's 10 s. */
  opts: { timeoutMs?: number } = {},
): Promise<Response> {
  // The redirect URI this answer came to: the portal's one, or a tenant's own (`…/oidc/{tenantId}`).
  const answeredAt = sp().oidcRedirectUrl + url.pathname.slice(sp().oidcPath.length);
  const state = url.searchParams.get('state') ?? '';
  const browserFlow = readFlowCookie(cookieHeader);
  const taken = state ? await takeFlow(`oidc:${state}`) : null;
  if (!taken) {
    // No flow under this state (used, expired, or never issued): in the tenant of this browser's flow, if any.
    const mine = browserFlow ? await findConnectionById(browserFlow.connectionId) : null;
    const reason: LoginFailure = !mine ? 'unknown_request' : browserFlow!.state === state ? 'replayed' : 'state_mismatch';
    return fail(meta, mine?.tenantId ?? null, reason, 400, mine ? { connectionId: mine.id } : {}, null, 'oidc');
  }
  const { flow } = taken;
  const at = { connectionId: flow.connectionId };
  // A connection test records a refusal on the connection (lastTest) instead of as a failed sign-in.
  const testConnection = flow.purpose === 'test' ? taken.connection : null;
  const refuse = (reason: LoginFailure, status: number, extra: Record<string, unknown> = {}) =>
    testConnection
      ? failTest(meta, testConnection, flow.detail as TestFlowDetail | null, reason, { error: typeof extra.error === 'string' ? extra.error : null })
      : fail(meta, flow.tenantId, reason, status, extra, (flow.detail as { returnTo?: string } | null)?.returnTo, 'oidc');
  // Only in the browser that started this flow, before any request to the provider: a code
  // delivered with the state of someone else's flow (a link to the victim's own provider carrying
  // an attacker's state) must not be sent to that flow's token endpoint (IdP mix-up).
  if (!browserFlow || browserFlow.state !== state) return refuse('state_mismatch', 400, at);
  // Sign-in policy: the tenant's IP allowlist, again when the OpenID provider sends the browser back.
  if (!signInIpAllowed(taken.tenant?.signInPolicy ?? (await tenantPolicy(flow.tenantId)), meta.ip)) return refuse('ip_not_allowed', 403, { ...at, ip: meta.ip ?? null });
  if (url.searchParams.get('error')) {
    return refuse('idp_error', 400, { ...at, error: url.searchParams.get('error')!.slice(0, 100) });
  }
  const { oidcRequest, ...detail } = (flow.detail ?? {}) as { oidcRequest?: { nonce: string; verifier: string } } & Record<string, unknown>;
  if (!taken.connection || taken.connection.type !== 'oidc' || !oidcRequest) return refuse('unknown_request', 400, at);
  // Only at the connection's own redirect URI: a tenant's connection is finished only by answers
  // sent to its tenant's URI, never by another provider's answer sent to the shared one (mix-up).
  if (oidcRedirectUrlOf(taken.connection) !== answeredAt) return refuse('unknown_request', 400, at);
  let signIn: OidcSignIn;
  try {
    signIn = await oidcExchange(taken.connection, { state, ...oidcRequest }, url, opts);
  } catch (e) {
    if (!(e instanceof LoginRejected)) throw e;
    log('warn', 'OIDC sign-in refused', { reason: e.reason, error: e.message, connectionId: flow.connectionId });
    return refuse(e.reason, e.status, { ...at, error: e.message.slice(0, 200) });
  }
  const profile: IdpProfile = { ...toIdpProfile(signIn.profile), emailVerified: signIn.emailVerified };
  const code = b64url(randomBytes(32));
  await putFlow({
    key: `code:${sha256(code)}`,
    connectionId: flow.connectionId,
    tenantId: flow.tenantId,
    purpose: flow.purpose,
    // The state goes with the code: the callback takes it only with this flow's state (as for SAML).
    detail: { ...detail, state, oidc: { profile, authn: signIn.authn } satisfies CheckedOidc },
    expiresAt: new Date(Date.now() + FLOW_TTL_SECONDS * 1000),
  });
  const next = new URL(sp().callbackUrl);
  next.searchParams.set('code', code);
  next.searchParams.set('state', state);
  return new Response(null, { status: 303, headers: { location: next.href, 'cache-control': 'no-store' } });
}

/** What the OIDC redirect checked, for the callback (in the `code:` flow row). */
type CheckedOidc = { profile: IdpProfile; authn: OidcSignIn['authn'] };

const first = (v: unknown): string | null => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'string' && x.trim() ? x.trim() : null;
};

const GROUP_CLAIMS = ['groups', 'group', 'memberOf', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', 'http://schemas.xmlsoap.org/claims/Group'];

/** Protocol claims of an ID token: not attributes of the person, and different at every sign-in. */
const TOKEN_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'nonce', 'at_hash', 'c_hash', 'auth_time', 'sid', 'azp', 'jti']);

/**
 * A profile (SAML engine claims as ./saml/engine.ts maps them, or OIDC claims) as the portal's IdpProfile. What an
 * IdP sends is bounded, never cut (a cut value could match a rule the whole one does not): over
 * 256 attributes, 1,000 values in one attribute (or in `groups`), 5,000 values in all, or a value
 * over 4,096 characters, the profile carries `refusal: 'too_many_attributes'` and no attributes,
 * and the sign-in refuses it (lib/provisioning/jit.ts). Throwing here would be reported as a
 * failed code exchange.
 */
export function toIdpProfile(p: { id?: unknown; email?: unknown; firstName?: unknown; lastName?: unknown; groups?: string[]; raw?: Record<string, unknown> }): IdpProfile {
  const subject = typeof p.id === 'string' ? p.id : (first(p.id) ?? '');
  const MAX_ATTRIBUTES = 256;
  const MAX_VALUES_PER_ATTRIBUTE = 1000;
  const MAX_VALUES = 5000;
  const MAX_VALUE_LENGTH = 4096;
  const attributes: Record<string, string[]> = {};
  let names = 0;
  let total = 0;
  let over = false;
  const usable = (v: unknown): string[] | null => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length > MAX_VALUES_PER_ATTRIBUTE) return null;
    const values = list.filter((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean').map(String);
    return values.some((s) => s.length > MAX_VALUE_LENGTH) ? null : values;
  };
  for (const [k, v] of Object.entries(p.raw ?? {})) {
    if (TOKEN_CLAIMS.has(k)) continue;
    const values = usable(v);
    if (!values || ++names > MAX_ATTRIBUTES || (total += values.length) > MAX_VALUES) {
      over = true;
      break;
    }
    if (values.length) attributes[k] = values;
  }
  const sent = p.groups?.length ? usable(p.groups) : [];
  if (over || !sent) {
    return { subject, email: first(p.email), firstName: first(p.firstName), lastName: first(p.lastName), groups: [], attributes: {}, refusal: 'too_many_attributes' };
  }
  const groups = sent.length ? sent : (GROUP_CLAIMS.map((c) => attributes[c]).find((g) => g?.length) ?? []);
  return {
    subject,
    email: first(p.email),
    firstName: first(p.firstName),
    lastName: first(p.lastName),
    groups: groups.map(String),
    attributes,
  };
}

/** A sign-in the callback just completed: the new portal session (times in seconds). */
export type SignedIn = { sessionId: string; userId: string; tenantId: string; authTime: number; expiresAt: number };

/**
 * The callback: checks that this browser started the flow (its state), takes what the ACS or the
 * OIDC redirect checked under this one-time code, provisions the user just in time and starts
 * their session.
 */
export async function handleCallback(
  url: URL,
  cookieHeader: string | null,
  meta: Omit<Ctx, 'actor'>,
  /**
   * The application sign-in that started this flow in this browser (the flow cookie names it):
   * `finish` stores its login and answers where the browser goes next, or null when that sign-in is
   * gone; `resume` may take the callback's answer on itself (lib/applications/interaction.ts).
   */
  application?: {
    finish(uid: string, signedIn: SignedIn): Promise<string | null>;
    resume(uid: string, answer: Response, cookieHeader: string | null, meta: Omit<Ctx, 'actor'>): Promise<Response>;
  },
): Promise<Response> {
  const code = url.searchParams.get('code');
  const state = url.searchParams.get('state');
  const flow = readFlowCookie(cookieHeader);
  if (url.searchParams.get('error') || !code) {
    const connection = flow ? await findConnectionById(flow.connectionId) : null;
    return fail(meta, connection?.tenantId ?? null, 'idp_error', 400, { error: url.searchParams.get('error')?.slice(0, 100) ?? 'no code' }, flow?.returnTo);
  }
  const taken = await takeFlow(`code:${sha256(code)}`);
  const byCode = taken?.flow;
  // A connection test (lib/sso/connections/test-sign-in.ts): nobody is signed in; the result goes to the connection.
  const testConnection = byCode?.purpose === 'test' ? taken!.connection : null;
  const testDetail = (byCode?.detail as TestFlowDetail | null) ?? null;
  let protocolOf: 'saml' | 'oidc' | 'unknown' = 'unknown'; // known once the connection is
  const refuse = (tenantId: string | null, reason: LoginFailure, status: number, extra: Record<string, unknown> = {}) =>
    testConnection ? failTest(meta, testConnection, testDetail, reason) : fail(meta, tenantId, reason, status, extra, flow?.returnTo, protocolOf);
  const idpInitiated = !state;
  if (!idpInitiated && (!flow || flow.state !== state)) {
    return refuse(byCode?.tenantId ?? null, 'state_mismatch', 400, byCode ? { connectionId: byCode.connectionId } : {});
  }
  const connection = byCode ? taken!.connection : flow ? await findConnectionById(flow.connectionId) : null;
  if (!connection || (flow && !idpInitiated && flow.connectionId !== connection.id)) {
    return refuse(connection?.tenantId ?? null, 'unknown_request', 400);
  }
  const at = { connectionId: connection.id };
  protocolOf = connection.type;
  if (!testConnection && connection.status !== 'active') return refuse(connection.tenantId, 'connection_not_active', 403, at);
  if (idpInitiated && (!connection.allowIdpInitiated || !byCode)) return refuse(connection.tenantId, 'unsolicited_not_allowed', 403, at);

  let profile: IdpProfile;
  let samlSession: { nameId: string; nameIdFormat: string | null; sessionIndex: string | null } | undefined;
  if (connection.type === 'oidc') {
    // OIDC: what the portal's own exchange checked at the OIDC redirect (./oidc/rp.ts), stored
    // under this code and taken once; no library takes part.
    const checked = (byCode?.detail as { oidc?: CheckedOidc } | null)?.oidc;
    if (idpInitiated) return refuse(connection.tenantId, 'unsolicited_not_allowed', 403, at);
    if (!byCode) return refuse(connection.tenantId, 'replayed', 400, at);
    if (!checked) return refuse(connection.tenantId, 'unknown_request', 400, at);
    if ((byCode.detail as { state?: string }).state !== state) return refuse(connection.tenantId, 'state_mismatch', 400, at);
    // Sign-in policy: MFA of an OIDC sign-in, from the ID token's amr/acr (SAML was checked at the ACS).
    if (mfaRequiredFor(await tenantPolicy(connection.tenantId), connection)) {
      const mfa = checkOidcMfa(checked.authn);
      if (!mfa.mfa) return refuse(connection.tenantId, 'mfa_required', 403, { ...at, authnContext: mfa.evidence?.slice(0, 300) ?? null });
    }
    profile = checked.profile;
  } else {
    // SAML: what the ACS checked (both validators), stored under this code and taken once. A code
    // from an SP-initiated flow is good only with that flow's state, in the browser that started it.
    const checked = (byCode?.detail as { samlSignIn?: CheckedSaml; state?: string } | null) ?? null;
    if (!byCode) return refuse(connection.tenantId, 'replayed', 400, at);
    if (!checked?.samlSignIn) return refuse(connection.tenantId, 'unknown_request', 400, at);
    if ((checked.state ?? null) !== (state ?? null)) return refuse(connection.tenantId, 'state_mismatch', 400, at);
    profile = checked.samlSignIn.profile;
    samlSession = { nameId: checked.samlSignIn.nameId, nameIdFormat: checked.samlSignIn.nameIdFormat, sessionIndex: checked.samlSignIn.sessionIndex };
  }
  if (testConnection) {
    const res = await completeTest(meta, connection, testDetail, profile);
    const headers = new Headers(res.headers);
    headers.append('set-cookie', `${FLOW_COOKIE}=; ${cookieAttrs(0)}`);
    return new Response(res.body, { status: res.status, headers });
  }
  const tenant = taken?.tenant ?? (await signInTenant(connection.tenantId));
  if (!tenant) return fail(meta, null, 'unknown_tenant', 404, at, flow?.returnTo, connection.type);
  let outcome;
  try {
    outcome = await signInUser(meta, tenant, connection, profile, samlSession);
  } catch (e) {
    if (e instanceof LoginRejected) return refuse(tenant.id, e.reason, e.status, { ...at, email: profile.email?.slice(0, 320) ?? null });
    throw e;
  }
  countSignIn(connection.type, 'success', null, flow ? (flow.exp - FLOW_TTL_SECONDS) * 1000 : null);
  const u = outcome.user;
  const previous = await sessionFromCookie(cookieHeader);
  if (previous?.kind === 'user') await supersedeSession(previous, { sessionId: outcome.sessionId, userId: u.id });
  // An application's sign-in ends here, without a hop through its interaction's …/continue.
  const resume =
    !idpInitiated && flow?.interaction && application
      ? await application.finish(flow.interaction, {
          sessionId: outcome.sessionId,
          userId: u.id,
          tenantId: tenant.id,
          authTime: Math.floor(Date.now() / 1000),
          expiresAt: Math.floor(sessionHardEnd(tenant.signInPolicy, new Date(), outcome.expiresAt).getTime() / 1000),
        })
      : null;
  // An IdP-initiated sign-in was not started by this browser: it lands on /app, never on the
  // return path of a flow the browser may have pending (an application's sign-in), and its session
  // is marked, so an application does not silently reuse it (lib/applications/interaction.ts).
  const headers = new Headers({ location: idpInitiated ? '/app' : (resume ?? flow?.returnTo ?? '/app'), 'cache-control': 'no-store' });
  headers.append(
    'set-cookie',
    await sessionSetCookie(
      {
        sub: u.id,
        email: u.email,
        name: [u.firstName, u.lastName].filter(Boolean).join(' ') || u.email,
        sid: outcome.sessionId,
        kind: 'user',
        ...(idpInitiated || flow?.crossSite ? { unsolicited: true } : {}),
        // A sign-in the IdP was made to make afresh: its time is a known authentication time (max_age).
        ...(!idpInitiated && flow?.forced ? { forced: true } : {}),
      },
      USER_SESSION_TTL_SECONDS,
    ),
  );
  headers.append('set-cookie', `${FLOW_COOKIE}=; ${cookieAttrs(0)}`);
  const answer = new Response(null, { status: 303, headers });
  return resume && application ? application.resume(flow!.interaction!, answer, cookieHeader, meta) : answer;
}

/**
 * Deletes expired flow records, assertion IDs that could no longer be valid anyway, and sessions a
 * day past their end (every sign-in adds one; no read reaches an ended one, and the back-channel
 * reaper finds a provider session's ended portal session by its absence as well).
 */
export async function sweepSsoState(): Promise<void> {
  const db = await getDb();
  await db.delete(ssoFlows).where(sql`${ssoFlows.expiresAt} < now()`);
  await db.delete(seenAssertions).where(sql`${seenAssertions.expiresAt} < now() - interval '1 hour'`);
  await db.delete(sessions).where(sql`${sessions.expiresAt} < now() - interval '1 day'`);
}

const SWEEP_EVERY_MS = 5 * 60 * 1000;
let lastSweep = 0;

/** Sweeps at most every few minutes per process, off the request's path. */
function sweepNow(): void {
  if (Date.now() - lastSweep < SWEEP_EVERY_MS) return;
  lastSweep = Date.now();
  sweepSsoState().catch((err) => log('warn', 'could not sweep expired sign-in state', { err }));
}
