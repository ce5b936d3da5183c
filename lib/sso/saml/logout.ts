import 'server-only';
import { randomBytes } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { record, recordRefusal } from '../../audit/record';
import type { Ctx } from '../../audit/types';
import { connectionsWithEntityId, findConnectionById } from '../../dal/connections';
import { firstUseOfAssertion, putFlow, takeFlow } from '../../dal/sign-in';
import { getDb } from '../../db/client';
import { sessions, type Connection, type SessionSso } from '../../db/schema';
import { env } from '../../env';
import { autoPostPage } from '../../http/html';
import { checkBrowserUrl } from '../../http/safe-fetch';
import { log } from '../../log';
import { messagePage } from '../error-page';
import { sp } from '../sp';
import {
  logoutRequestXml,
  logoutResponseXml,
  LogoutRefused,
  readLogoutRequest,
  readLogoutResponse,
  receiveMessage,
  verifiedMessage,
  type ReceivedMessage,
} from './logout-messages';
import { idpBindings, redirectWithSignature, spSigningKey } from './request';
import { signMessage } from './sign';

/**
 * SAML single logout at the portal's SLO URL (`sp().sloUrl`, in the SP metadata):
 * - IdP-initiated: a signed LogoutRequest ends that person's portal sessions from that connection
 *   (`session.ended`, reason `idp_logout`; the applications they signed in to are told by
 *   back-channel logout), and the IdP gets a signed LogoutResponse;
 * - SP-initiated: signing out of the portal sends a signed LogoutRequest to the IdP's SLO URL
 *   ({@link spLogoutTarget}), whose LogoutResponse comes back here.
 * Unsigned, replayed, expired or foreign messages are refused (400) and audited (`sso.logout_refused`).
 */
const FLOW_TTL_MS = 10 * 60 * 1000;
/** Refusals of a message before any certificate verified it. */
const UNVERIFIED = new Set(['logout_unsigned', 'logout_signature_invalid', 'weak_algorithm']);
const pems = (c: Connection) => (c.idp.certificates ?? []).map((x) => (x as { pem?: string }).pem ?? '').filter(Boolean);

async function refused(meta: Omit<Ctx, 'actor'>, tenants: Connection[], reason: string, message: string, kind: string): Promise<Response> {
  log('warn', 'single logout refused', { reason, message, tenants: tenants.map((c) => c.tenantId) });
  const db = await getDb();
  const targets = tenants.length ? tenants : [null];
  // Anyone can send refused messages: recorded once a minute per source and reason (recordRefusal).
  for (const c of targets.slice(0, 10)) {
    await db.transaction((tx) =>
      recordRefusal(tx, { ...meta, actor: { type: 'idp', id: c?.id ?? null, label: null } }, {
        tenantId: c?.tenantId ?? null,
        action: 'sso.logout_refused',
        outcome: 'failure',
        reason,
        target: c ? { type: 'connection', id: c.id } : null,
        details: { message: kind },
      }),
    );
  }
  return messagePage({ title: 'Sign-out refused', sentence: 'The identity provider’s sign-out message was refused.', status: 400, reason });
}

/**
 * `GET|POST {sloUrl}`: a LogoutRequest or LogoutResponse from an IdP (`form` is the posted body,
 * HTTP-POST binding), or (GET `send`) the page that posts the portal's own LogoutRequest.
 */
export async function handleSlo(url: URL, form: URLSearchParams | null, meta: Omit<Ctx, 'actor'>): Promise<Response> {
  if (!form && url.searchParams.has('send')) return sendPostedRequest(url.searchParams.get('send') ?? '');
  let m: ReceivedMessage;
  try {
    m = receiveMessage(url, form);
  } catch (e) {
    if (e instanceof LogoutRefused) return refused(meta, [], e.reason, e.message, 'unknown');
    throw e;
  }
  return m.kind === 'LogoutRequest' ? idpInitiated(m, meta) : answered(m, meta);
}

async function idpInitiated(m: ReceivedMessage, meta: Omit<Ctx, 'actor'>): Promise<Response> {
  // Active connections only: a draft or inactive one (another tenant's copy of public metadata,
  // say) signs nobody in, and neither ends sessions nor decides the answer.
  const candidates = (await connectionsWithEntityId(m.issuer)).filter((c) => c.type === 'saml' && c.status === 'active');
  if (!candidates.length) return refused(meta, [], 'unknown_connection', `no connection has the issuer ${m.issuer.slice(0, 200)}`, 'LogoutRequest');
  // Every connection whose certificates verify the signature: tenants may share an IdP's entity ID
  // (and even its key); each ends its own sessions for this NameID.
  const verified: Connection[] = [];
  let failure: LogoutRefused | null = null;
  let request: ReturnType<typeof readLogoutRequest> | null = null;
  for (const c of candidates) {
    try {
      const el = verifiedMessage(m, pems(c));
      request ??= readLogoutRequest(el, sp().sloUrl);
      verified.push(c);
    } catch (e) {
      if (!(e instanceof LogoutRefused)) throw e;
      failure = e;
      // A message verified but refused for its content is refused for every connection.
      if (!UNVERIFIED.has(e.reason)) {
        verified.push(c);
        request = null;
        break;
      }
    }
  }
  // One no certificate verified could be anyone's (the entity ID is public): the operator's log, as
  // a forged sign-in response writes in no tenant's.
  if (!verified.length || !request) return refused(meta, verified, failure!.reason, failure!.message, 'LogoutRequest');
  let ended = 0;
  let replayedIn = 0;
  const endedBy: Connection[] = [];
  for (const c of verified) {
    if (!(await firstUseOfAssertion(`slo:${c.id}:${request.id}`, c.id, request.notOnOrAfter))) {
      replayedIn++;
      continue;
    }
    const n = await endSessions(c, request, meta);
    ended += n;
    if (n) endedBy.push(c);
  }
  if (replayedIn === verified.length) return refused(meta, verified, 'replayed', 'this LogoutRequest was already used', 'LogoutRequest');
  log('info', 'IdP-initiated single logout', { connections: verified.map((c) => c.id), sessionsEnded: ended });

  // The answer, signed, to the IdP's SLO location: that of the connections whose sessions it ended
  // (of every one that verified it, when it ended none), only when they all name the same one.
  // Another tenant's admin may have copied the IdP's public metadata with a location of theirs.
  const answering = await Promise.all((endedBy.length ? endedBy : verified).map(idpBindings));
  const targets = new Set(answering.map((b) => b.sloRedirectUrl ?? b.sloPostUrl ?? ''));
  const bindings = answering[0];
  const target = targets.size === 1 ? (bindings.sloRedirectUrl ?? bindings.sloPostUrl) : null;
  if (!target) return messagePage({ title: 'Signed out', sentence: 'You have been signed out of the portal.', status: 200 });
  const location = checkBrowserUrl(target, { path: 'sloUrl', allowLoopbackHttp: env().loopbackHttp });
  const key = await spSigningKey();
  const xml = logoutResponseXml({ issuer: sp().entityId, destination: location.href, inResponseTo: request.id });
  if (bindings.sloRedirectUrl) {
    return new Response(null, { status: 303, headers: { location: redirectWithSignature(location, 'SAMLResponse', xml, m.relayState, key.privateKeyPem).href, 'cache-control': 'no-store' } });
  }
  return autoPostPage(location, { SAMLResponse: Buffer.from(signMessage(xml, key)).toString('base64'), ...(m.relayState ? { RelayState: m.relayState } : {}) }, 'Signing out…');
}

/**
 * Ends the portal sessions this connection's assertion for this NameID started (only those with
 * one of the SessionIndexes, when the IdP names any), each with `session.ended` (`idp_logout`).
 */
async function endSessions(c: Connection, r: ReturnType<typeof readLogoutRequest>, meta: Omit<Ctx, 'actor'>): Promise<number> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const rows = await tx
      .delete(sessions)
      .where(
        and(
          eq(sessions.tenantId, c.tenantId),
          sql`${sessions.sso}->>'connectionId' = ${c.id}`,
          sql`${sessions.sso}->>'nameId' = ${r.nameId}`,
          r.sessionIndexes.length
            ? sql`(${sessions.sso}->>'sessionIndex' is null or ${sessions.sso}->>'sessionIndex' in (${sql.join(
                r.sessionIndexes.map((i) => sql`${i}`),
                sql`, `,
              )}))`
            : sql`true`,
        ),
      )
      .returning({ id: sessions.id, subjectId: sessions.subjectId });
    const actor = { ...meta, actor: { type: 'idp' as const, id: c.id, label: null } };
    for (const s of rows) {
      await record(tx, actor, {
        tenantId: c.tenantId,
        action: 'session.ended',
        target: { type: 'user', id: s.subjectId },
        reason: 'idp_logout',
        details: { sessionId: s.id, connectionId: c.id },
      });
    }
    await record(tx, actor, {
      tenantId: c.tenantId,
      action: 'sso.logout',
      target: { type: 'connection', id: c.id },
      details: { initiatedBy: 'idp', sessionsEnded: rows.length },
    });
    return rows.length;
  });
}

/** The IdP's answer to the portal's LogoutRequest: checked, audited, then on to the sign-in page. */
async function answered(m: ReceivedMessage, meta: Omit<Ctx, 'actor'>): Promise<Response> {
  const taken = m.inResponseTo ? await takeFlow(`slo:${m.inResponseTo}`) : null;
  const byIssuer = taken?.connection ? [taken.connection] : (await connectionsWithEntityId(m.issuer)).filter((c) => c.type === 'saml');
  if (!taken?.connection) return refused(meta, byIssuer, 'unknown_request', 'no sign-out of the portal is waiting for this answer', 'LogoutResponse');
  const c = taken.connection;
  let result: ReturnType<typeof readLogoutResponse>;
  try {
    if (m.issuer !== c.idp.entityId) throw new LogoutRefused('logout_signature_invalid', 'the answer comes from another IdP');
    result = readLogoutResponse(verifiedMessage(m, pems(c)), sp().sloUrl);
  } catch (e) {
    if (e instanceof LogoutRefused) return refused(meta, [c], e.reason, e.message, 'LogoutResponse');
    throw e;
  }
  const db = await getDb();
  await db.transaction((tx) =>
    record(tx, { ...meta, actor: { type: 'idp', id: c.id, label: null } }, {
      tenantId: c.tenantId,
      action: 'sso.logout',
      outcome: result.success ? 'success' : 'failure',
      target: { type: 'connection', id: c.id },
      ...(result.success ? {} : { reason: 'idp_partial_logout' }),
      details: { initiatedBy: 'portal', idpStatus: result.status.slice(0, 200) },
    }),
  );
  if (!result.success) {
    return messagePage({
      title: 'Signed out of the portal',
      sentence: 'You are signed out of the portal, but your identity provider could not end its own session; close the browser to finish signing out.',
      status: 200,
    });
  }
  // Written by spLogoutTarget only: /signin, or the application's registered post-logout URI.
  const returnTo = (taken.flow.detail as { returnTo?: string } | null)?.returnTo ?? '/signin';
  return new Response(null, { status: 303, headers: { location: returnTo, 'cache-control': 'no-store' } });
}

/**
 * Where signing out of the portal sends the browser: the IdP's SLO location with a signed
 * LogoutRequest for the session's NameID and SessionIndex, when the session came from a SAML
 * connection whose IdP has an SLO URL; null otherwise (the portal's own sign-in page).
 */
export async function spLogoutTarget(
  sso: SessionSso | null | undefined,
  /** Where the browser goes once the IdP has answered: an application's checked post_logout_redirect_uri; default /signin. */
  returnTo: string | null = null,
): Promise<string | null> {
  if (!sso) return null;
  const c = await findConnectionById(sso.connectionId);
  if (!c || c.type !== 'saml') return null;
  try {
    const bindings = await idpBindings(c);
    const raw = bindings.sloRedirectUrl ?? bindings.sloPostUrl;
    if (!raw) return null;
    const location = checkBrowserUrl(raw, { path: 'sloUrl', allowLoopbackHttp: env().loopbackHttp });
    const key = await spSigningKey();
    const { id, xml } = logoutRequestXml({ issuer: sp().entityId, destination: location.href, nameId: sso.nameId, nameIdFormat: sso.nameIdFormat, sessionIndex: sso.sessionIndex });
    const expiresAt = new Date(Date.now() + FLOW_TTL_MS);
    await putFlow({ key: `slo:${id}`, connectionId: c.id, tenantId: c.tenantId, expiresAt, ...(returnTo ? { detail: { returnTo } } : {}) });
    if (bindings.sloRedirectUrl) return redirectWithSignature(location, 'SAMLRequest', xml, null, key.privateKeyPem).href;
    // HTTP-POST only: a page of the portal posts it (a redirect cannot).
    const send = randomBytes(18).toString('base64url');
    await putFlow({
      key: `slo-post:${send}`,
      connectionId: c.id,
      tenantId: c.tenantId,
      detail: { action: location.href, SAMLRequest: Buffer.from(signMessage(xml, key)).toString('base64') },
      expiresAt,
    });
    return `${sp().sloPath}?send=${send}`;
  } catch (err) {
    // Signing out of the portal never fails because the IdP's sign-out cannot be started.
    log('warn', 'could not start single logout at the IdP', { err, connectionId: c.id });
    return null;
  }
}

async function sendPostedRequest(send: string): Promise<Response> {
  const taken = /^[A-Za-z0-9_-]{24}$/.test(send) ? await takeFlow(`slo-post:${send}`) : null;
  const d = taken?.flow.detail as { action?: string; SAMLRequest?: string } | null | undefined;
  if (!d?.action || !d.SAMLRequest) return new Response(null, { status: 303, headers: { location: '/signin' } });
  return autoPostPage(checkBrowserUrl(d.action, { path: 'sloUrl', allowLoopbackHttp: env().loopbackHttp }), { SAMLRequest: d.SAMLRequest }, 'Signing out…');
}
