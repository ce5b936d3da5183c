import 'server-only';
import { eq, type SQL } from 'drizzle-orm';
import { getDb } from '../db/client';
import { users } from '../db/schema';
import { signInTarget } from '../dal/sign-in';
import { requestMeta } from '../http/request-meta';
import { signInIpAllowed } from '../policies/sso';
import type { SignedIn } from '../sso/flow';
import { startTenantSso } from '../sso/start';
import { LOGIN_FAILURES } from '../sso/failures';
import { findTenant } from '../dal/tenants';
import { env } from '../env';
import { log } from '../log';
import { emailDomain } from '../utils';
import { anyWebOrigin, escapeHtml, htmlResponse } from '../http/html';
import { cookieHeaderAfter, nodePair } from './http-bridge';
import { isSessionPerson, maxAgeOf, meetsMaxAge, portalSessionOf, type PortalSession } from './portal-session';
import { oidcEndpoint, oidcProvider, PREFIX, resumeCookie, saveLoginResult } from './provider';
import { applicationByClientId } from './registry';
import { forgetFinished } from './store';

/**
 * The provider's login interaction is the tenant's own SSO. The organisation comes from
 * `organization` (slug or ID), else `login_hint`'s domain (as `/sso?email=`), else this browser's
 * portal session, else the person types their email. A live portal session of that tenant signs
 * in at once (single sign-on across the operator's products) unless `prompt=login` or `max_age`
 * asks for a fresh sign-in; otherwise the tenant's SSO starts from here (every check, strategy,
 * policy, MFA requirement and JIT rule of `/sso`) and its callback finishes the interaction
 * (finishAfterSso), or sends a refusal to `…/continue`. Refusals return to the application as
 * `error=access_denied`. The first step runs in the authorization request that created the
 * interaction (provider.ts, beginInteraction); the interaction's page serves the steps after it.
 */
const SLUG_OR_ID = /^[A-Za-z0-9_.-]{1,128}$/;
type Target = NonNullable<Awaited<ReturnType<typeof signInTarget>>>;

export const interactionPath = (uid: string) => `${PREFIX}/interaction/${uid}`;
export const continuePath = (uid: string) => `${interactionPath(uid)}/continue`;

function page(status: number, title: string, body: string, formAction: readonly string[] = []): Response {
  return htmlResponse(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      `<meta name="viewport" content="width=device-width,initial-scale=1"></head>` +
      `<body style="font-family:ui-sans-serif,system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center">` +
      `<main style="background:#fff;border:1px solid #e4e4e7;border-radius:8px;padding:24px 28px;max-width:440px;width:100%">${body}</main></body></html>`,
    { status, formAction },
  );
}

function emailPage(uid: string, appName: string, opts: { email?: string; error?: string } = {}): Response {
  return page(
    opts.error ? 400 : 200,
    `Sign in to ${appName}`,
    `<h1 style="font-size:20px;margin:0 0 8px">Sign in to ${escapeHtml(appName)}</h1>` +
      `<p style="color:#52525b;font-size:14px">Enter your work email and we will send you to your organisation’s sign-in page.</p>` +
      (opts.error ? `<p role="alert" style="color:#b91c1c;font-size:14px">${escapeHtml(opts.error)}</p>` : '') +
      `<form method="get" action="${escapeHtml(interactionPath(uid))}">` +
      `<label for="email" style="display:block;font-size:14px;margin:12px 0 4px">Work email</label>` +
      `<input id="email" name="email" type="email" required autocomplete="email" value="${escapeHtml(opts.email ?? '')}" style="width:100%;padding:6px 8px;border:1px solid #d4d4d8;border-radius:6px;font:inherit;box-sizing:border-box">` +
      `<button type="submit" style="margin-top:16px;padding:8px 16px;border:0;border-radius:6px;background:#18181b;color:#fff;font:inherit;cursor:pointer">Continue</button></form>`,
    // The form leads through redirects to the organisation's IdP.
    anyWebOrigin(),
  );
}

/**
 * A session this browser did not start (an IdP-initiated sign-in, which anyone can post to this
 * browser) is never reused silently, whatever organisation or user the application names: the
 * person confirms who they are (a POST, which a cross-site page cannot make with the interaction cookie).
 */
function confirmPage(uid: string, appName: string, who: { name: string; email: string; org: string }): Response {
  return page(
    200,
    `Continue to ${appName}`,
    `<h1 style="font-size:20px;margin:0 0 8px">Continue to ${escapeHtml(appName)}?</h1>` +
      // The email too: the IdP asserting the session chose the name, and may have copied someone else's.
      `<p style="color:#52525b;font-size:14px">You are signed in as <strong>${escapeHtml(who.name)}</strong> (${escapeHtml(who.email)}) of ${escapeHtml(who.org)}.</p>` +
      `<form method="post" action="${escapeHtml(interactionPath(uid))}"><input type="hidden" name="confirm" value="1">` +
      `<button type="submit" style="padding:8px 16px;border:0;border-radius:6px;background:#18181b;color:#fff;font:inherit;cursor:pointer">Continue as ${escapeHtml(who.name)}</button></form>` +
      `<p style="font-size:14px"><a href="${escapeHtml(interactionPath(uid))}?email=">Use another account</a></p>`,
    // The form leads through redirects to the application.
    anyWebOrigin(),
  );
}

const expired = () =>
  page(
    400,
    'Sign-in expired',
    `<h1 style="font-size:20px;margin:0 0 8px">This sign-in has expired</h1><p role="alert" style="color:#52525b;font-size:14px">Go back to the application and sign in again.</p>`,
  );

async function accountLabel(userId: string): Promise<{ name: string; email: string }> {
  const db = await getDb();
  const [u] = await db.select({ email: users.email, first: users.firstName, last: users.lastName }).from(users).where(eq(users.id, userId));
  return u ? { name: [u.first, u.last].filter(Boolean).join(' ') || u.email, email: u.email } : { name: 'this account', email: 'unknown' };
}

/**
 * The result of a finished login: the account, when it signed in, and the portal session it came
 * from. It settles the consent prompt too: the operator registered its own applications, so there
 * is no consent screen, and a `prompt=consent` (which OIDC Core §11 asks of clients that want
 * offline_access) is answered here rather than asked again after every login.
 */
const signedInResult = (s: SignedIn) => ({
  login: { accountId: s.userId, ts: s.authTime, amr: ['ext'], remember: true },
  portal: { sessionId: s.sessionId, tenantId: s.tenantId, expiresAt: s.expiresAt },
  consent: {},
});

/**
 * The sign-in target (tenant and active connection) of an email's trusted domain; only the tenant
 * when the browser's own session's tenant owns the domain (no lookup). A domain no tenant owns (a
 * partner's, of `allowedDomains`) is the session's tenant when the address is the session's own
 * person's: never ahead of the tenant that owns a domain, since a user's email may be changed
 * (SCIM) to any address, and a session from another site's post must not answer for that tenant.
 */
async function targetByEmail(email: string, portal?: PortalSession | null): Promise<{ tenant: { id: string; slug: string; name: string }; target?: Target } | null> {
  const domain = emailDomain(email);
  if (!domain || domain.includes('\u0000')) return null;
  if (portal?.tenant.trustedDomains.includes(domain)) return { tenant: portal.tenant };
  const target = await signInTarget({ domain });
  if (target) return { tenant: target.tenant, target };
  return portal && isSessionPerson(portal, email) ? { tenant: portal.tenant } : null;
}

async function tenantByOrganization(org: string) {
  if (!SLUG_OR_ID.test(org)) return null;
  return (await findTenant({ slug: org.toLowerCase() })) ?? (await findTenant({ id: org }));
}

/** A login interaction as the provider keeps it (`interactionDetails`, or the one an authorization request just stored). */
export type InteractionRecord = {
  uid: string;
  result?: Record<string, unknown>;
  params: Record<string, unknown>;
  prompt: { name: string; reasons: string[] };
  exp: number;
  returnTo: string;
  save(ttlSeconds: number): Promise<unknown>;
};

/**
 * GET /oidc/interaction/<uid> (`step: 'start'`, the email form's target), POST (`step: 'confirm'`)
 * and GET /oidc/interaction/<uid>/continue (`step: 'continue'`: back from the tenant's SSO with a
 * refusal's `error`, or from a sign-in that the callback could not finish itself). The interaction
 * is the one this browser's interaction cookie names.
 */
export async function handleInteraction(request: Request, uid: string, step: 'start' | 'continue' | 'confirm'): Promise<Response> {
  const provider = await oidcProvider();
  const pair = await nodePair(request, new URL(env().PUBLIC_URL));
  if (!pair) return page(413, 'Sign-in refused', `<h1 style="font-size:20px;margin:0 0 8px">The form is too large</h1><p role="alert" style="color:#52525b;font-size:14px">Go back to the application and sign in again.</p>`);
  const { req, res } = pair;
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return expired();
  }
  if (details.uid !== uid) return expired();
  const url = new URL(request.url);
  const cookies = res.getHeader('set-cookie');
  return interactionStep(details, {
    step,
    cookie: request.headers.get('cookie'),
    meta: requestMeta(request),
    typed: step === 'start' ? url.searchParams.get('email')?.trim().slice(0, 320) : undefined,
    ssoError: step === 'continue' ? url.searchParams.get('error') : null,
    setCookies: Array.isArray(cookies) ? cookies : cookies ? [String(cookies)] : [],
  });
}

/**
 * One step of the login interaction. `start` also runs inside the authorization request that
 * created the interaction (provider.ts, beginInteraction): the browser goes from the application
 * straight to its organisation's IdP.
 */
export async function interactionStep(
  details: InteractionRecord,
  input: {
    step: 'start' | 'continue' | 'confirm';
    /** The request's Cookie header (the portal session). */
    cookie: string | null;
    meta: ReturnType<typeof requestMeta>;
    /** The email typed on the email page (`start` only). */
    typed?: string;
    /** A refusal the tenant's SSO sent back (`continue` only). */
    ssoError?: string | null;
    /** Cookies to send with a redirect to the provider. */
    setCookies?: readonly string[];
    /** Where the SSO flow's insert goes when `start` begins one: the authorization request's write batch (provider.ts). */
    along?: (statement: SQL) => void;
  },
): Promise<Response> {
  const { step, typed, meta } = input;
  const uid = details.uid;
  const params = details.params as Record<string, string | undefined>;
  const app = params.client_id ? await applicationByClientId(params.client_id) : null;
  if (!app) return expired();

  /** The provider's `interactionResult` without reading the interaction again: it is `details`. */
  const saveResult = async (result: Record<string, unknown>) => {
    details.result = result;
    await details.save(details.exp - Math.floor(Date.now() / 1000));
    return details.returnTo;
  };
  const finish = async (result: Record<string, unknown>) => {
    const to = await saveResult(result);
    const headers = new Headers({ location: to, 'cache-control': 'no-store' });
    for (const c of input.setCookies ?? []) headers.append('set-cookie', c);
    return new Response(null, { status: 303, headers });
  };
  const deny = (description: string) => finish({ error: 'access_denied', error_description: description });

  // Back from the tenant's SSO with a refusal: the application learns it (only a known reason is named).
  const ssoError = step === 'continue' ? (input.ssoError ?? null) : null;
  if (ssoError !== null) {
    const reason = Object.hasOwn(LOGIN_FAILURES, ssoError) ? ssoError : 'unknown';
    return deny(`the organisation refused the sign-in (${reason})`);
  }

  const portal = await portalSessionOf(input.cookie);
  const chooseAnother = typed === '';

  // Which organisation (and, when its lookup gave it, its sign-in target).
  let tenant: { id: string; slug: string; name: string } | null = null;
  let known: Target | undefined;
  if (params.organization) {
    tenant = await tenantByOrganization(params.organization);
    if (!tenant) return deny('no organisation has this slug or ID');
  } else if (chooseAnother) {
    return emailPage(uid, app.name);
  } else if (typed !== undefined) {
    ({ tenant, target: known } = (await targetByEmail(typed)) ?? { tenant: null });
    if (!tenant) return emailPage(uid, app.name, { email: typed, error: 'No organisation uses this email domain. Check the address, or ask your IT department.' });
  } else if (params.login_hint) {
    ({ tenant, target: known } = (await targetByEmail(params.login_hint, portal)) ?? { tenant: null });
    if (!tenant) return emailPage(uid, app.name, { email: params.login_hint, error: 'No organisation uses this email domain. Check the address, or ask your IT department.' });
  } else if (portal) {
    tenant = portal.tenant;
  }
  if (!tenant) return emailPage(uid, app.name);
  if (app.tenantIds && !app.tenantIds.includes(tenant.id)) return deny('this application is not available to your organisation');

  // A usable portal session of that tenant signs in at once, unless a fresh sign-in is asked for
  // (prompt=login, max_age): then only a session that began after this interaction will do.
  const now = Math.floor(Date.now() / 1000);
  const maxAge = maxAgeOf(params);
  const usable = portal && portal.tenant.id === tenant.id ? portal : null;
  const freshNeeded = details.prompt.name === 'login' && (details.prompt.reasons.includes('login_prompt') || maxAge !== undefined);
  // A fresh sign-in was asked for and the browser sent to its IdP with ForceAuthn (marked in the
  // interaction): only that flow's callback finishes it (finishAfterSso). No session will do here,
  // not even one begun since: a sign-in through /sso (which the IdP's own session answers) is not fresh.
  const forced = (details.result as { portalForce?: true } | undefined)?.portalForce === true;
  const fresh =
    !!usable &&
    !forced &&
    (!freshNeeded || (maxAge !== undefined && !details.prompt.reasons.includes('login_prompt') && meetsMaxAge(usable, maxAge, now)));
  if (usable && fresh) {
    // The tenant's sign-in policy applies here too: its IP allowlist.
    if (!signInIpAllowed(usable.tenant.signInPolicy ?? {}, meta.ip)) return deny('your organisation does not allow sign-in from this network');
    // Naming the organisation or a user proves nothing: a session planted cross-site is of that
    // organisation too. The person confirms who they are signed in as.
    if (usable.unsolicited && step !== 'confirm') {
      return confirmPage(uid, app.name, { ...(await accountLabel(usable.userId)), org: usable.tenant.name });
    }
    return finish(signedInResult({ userId: usable.userId, authTime: usable.authTime, sessionId: usable.sessionId, tenantId: usable.tenant.id, expiresAt: usable.expiresAt }));
  }
  if (step !== 'start') return deny('the sign-in did not produce a fresh session of this organisation');

  // The tenant's SSO starts here (as /sso would); its callback finishes this interaction (finishAfterSso).
  if (freshNeeded) await saveResult({ portalForce: true });
  const target = known?.tenant.id === tenant.id ? known : await signInTarget({ slug: tenant.slug });
  if (!target) return deny('no organisation has this slug or ID');
  return startTenantSso(target, meta, { returnTo: continuePath(uid), forceAuthn: freshNeeded, interaction: uid, along: input.along });
}

/**
 * Back from the tenant's SSO, signed in, in the browser that started it from this interaction: the
 * callback ends the login step here and answers the provider's resume of the authorization (which
 * resumeAfterSso then makes on the browser's behalf). The flow
 * cookie the callback checked (signed, and bound to this browser by its state) names the
 * interaction, and only interactionStep starts such a flow: in the authorization request that
 * created the interaction (whose cookies go to the browser with the flow's), or after the provider
 * checked this browser's interaction cookie. A sign-in started elsewhere (`/sso?returnTo=…`) goes
 * through …/continue, which checks that cookie itself. Null when the interaction is gone (expired).
 * The statement that stores the login reads the interaction back for that resume (saveLoginResult).
 */
export async function finishAfterSso(uid: string, s: SignedIn): Promise<string | null> {
  return saveLoginResult(uid, signedInResult(s));
}

/**
 * The authorization resume that finishAfterSso sent the browser to, made here on its behalf (a hop
 * fewer: the browser goes from the callback straight to the application). The request is the one
 * the browser would make: its cookies, those the callback set, and the provider's resume cookie of
 * this interaction, which the provider set in this browser with the interaction itself (the flow
 * cookie naming the interaction shows that this browser started it: see finishAfterSso). Only for
 * the interaction the flow names: never for a landing page a sign-in was given (`returnTo`). The
 * provider's answer (the redirect to the application, or its page) goes to the browser with the
 * callback's cookies. A resume that fails on the server leaves the callback's answer: the browser
 * makes the hop itself, and the provider, which stored none of the failed resume's writes
 * (writeBatching), resumes then.
 */
export async function resumeAfterSso(uid: string, answer: Response, cookieHeader: string | null, meta: { ip?: string | null; userAgent?: string | null }): Promise<Response> {
  try {
    const publicUrl = new URL(env().PUBLIC_URL);
    const to = new URL(answer.headers.get('location') ?? '', publicUrl);
    if (answer.status !== 303 || to.origin !== publicUrl.origin || to.pathname !== `${PREFIX}/auth/${uid}`) return answer;
    const callbackCookies = answer.headers.getSetCookie();
    let resumed: Response;
    try {
      const headers = new Headers({
        cookie: cookieHeaderAfter(cookieHeader, [...callbackCookies, ...(await resumeCookie(uid))]),
        accept: 'text/html',
        'sec-fetch-dest': 'document',
      });
      if (meta.ip) headers.set('x-forwarded-for', meta.ip);
      if (meta.userAgent) headers.set('user-agent', meta.userAgent);
      resumed = await oidcEndpoint(new Request(to, { headers }));
    } catch (err) {
      log('error', 'the authorization resume inside the SSO callback failed; the browser makes the hop', { err, interaction: uid });
      return answer;
    }
    if (resumed.status >= 500) {
      log('warn', 'the authorization resume inside the SSO callback failed; the browser makes the hop', { status: resumed.status, interaction: uid });
      return answer;
    }
    const out = new Headers(resumed.headers);
    out.delete('set-cookie');
    for (const c of [...callbackCookies, ...resumed.headers.getSetCookie()]) out.append('set-cookie', c);
    return new Response(resumed.body, { status: resumed.status, headers: out });
  } finally {
    forgetFinished(uid);
  }
}

/** What the SSO callback does for an application's sign-in that its flow started (lib/sso/flow.ts, handleCallback). */
export const applicationSignIn = { finish: finishAfterSso, resume: resumeAfterSso };
