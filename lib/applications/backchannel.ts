import 'server-only';
import { eq, inArray, sql } from 'drizzle-orm';
import { record } from '../audit/record';
import { SYSTEM } from '../audit/types';
import { dbHandle, getDb } from '../db/client';
import { applications, backchannelDeliveries, type BackchannelDelivery } from '../db/schema';
import { env } from '../env';
import { checkUntrustedUrl, isLoopbackHost, untrustedFetch, type UntrustedFetchInit } from '../http/safe-fetch';
import { newId } from '../ids';
import type { Job } from '../jobs/scheduler';
import { log } from '../log';
import { sweepPolicyEndedSessions } from '../policies/sessions';
import { destroySessionRecords, sessionAuthorizations } from './store';

/**
 * Access taken away reaches the applications. Whenever a portal session ends — sign-out,
 * suspension (admin, SCIM, inactivity policy), deletion of the user or the tenant, the session
 * policy, plain expiry — the provider sessions created from it are ended here: their grants (and
 * so every code, access and refresh token) are revoked, and each application with a back-channel
 * logout URI that the session signed in to gets a signed logout token naming `sub` and `sid`.
 *
 * One mechanism for every cause: this job finds the provider sessions whose portal session is
 * gone (`oidc_session_links` without a live `sessions` row) instead of every place that ends a
 * session calling it. Refreshes fail at once anyway (the provider checks the portal session on
 * every refresh); the logout tokens follow within seconds. Deliveries are rows, retried with
 * backoff like webhooks until delivered or given up after three days, and listed in the console.
 */

const BACKOFF_S = [10, 30, 120, 600, 1800, 3600];
const GIVE_UP_AFTER_MS = 3 * 24 * 3600 * 1000;
const REAP_BATCH = 200;
const DELIVERY_BATCH = 50;
/** A run starts no delivery after this long (one delivery may take its 10 s timeout). */
const RUN_BUDGET_MS = 5_000;

const nextDelay = (attempts: number) => BACKOFF_S[Math.min(attempts - 1, BACKOFF_S.length - 1)] * 1000;

/** Provider sessions whose portal session ended (row gone or past its expiry). */
const ENDED_SQL = `select l.session_uid, l.account_id, l.tenant_id, l.portal_session_id from oidc_session_links l
  left join sessions s on s.id = l.portal_session_id
  where s.id is null or s.expires_at <= now()
  order by l.created_at limit $1`;

type EndedLink = { session_uid: string; account_id: string; tenant_id: string | null; portal_session_id: string };

async function revokeGrant(provider: Awaited<ReturnType<typeof import('./provider').oidcProvider>>, grantId: string) {
  await Promise.all([
    provider.AccessToken.adapter.revokeByGrantId(grantId),
    provider.RefreshToken.adapter.revokeByGrantId(grantId),
    provider.AuthorizationCode.adapter.revokeByGrantId(grantId),
    provider.Grant.adapter.destroy(grantId),
  ]);
}

/**
 * Ends the provider sessions of ended portal sessions; queues their logout tokens. Per session,
 * the grants are revoked first (again, harmlessly, after a failure), then one transaction removes
 * the link, queues the logout tokens and removes the session's records: a run that fails halfway
 * is done again whole, and a link another run removed first queues nothing twice.
 */
export async function reapEndedSessions(limit = REAP_BATCH): Promise<{ sessions: number; queued: number }> {
  const { oidcProvider } = await import('./provider');
  const provider = await oidcProvider();
  const handle = await dbHandle();
  const db = await getDb();
  const ended = await handle.queryPrepared<EndedLink>(ENDED_SQL, [limit]);
  let queued = 0;
  for (const link of ended) {
    const authorizations = await sessionAuthorizations(link.session_uid);
    const clientIds = Object.keys(authorizations);
    const apps = clientIds.length
      ? await db.select().from(applications).where(inArray(applications.clientId, clientIds))
      : [];
    for (const { grantId } of Object.values(authorizations)) if (grantId) await revokeGrant(provider, grantId);
    const deliveries = Object.entries(authorizations).flatMap(([clientId, { sid }]) => {
      const app = apps.find((a) => a.clientId === clientId);
      return app?.backchannelLogoutUri && sid
        ? [{ id: newId('bcl'), applicationId: app.id, tenantId: link.tenant_id, accountId: link.account_id, sid, reason: 'session_ended' }]
        : [];
    });
    queued += await db.transaction(async (tx) => {
      const claimed = await tx.execute(sql`delete from oidc_session_links where session_uid = ${link.session_uid} returning 1`);
      if (!(claimed as unknown as { rows: unknown[] }).rows.length) return 0;
      if (deliveries.length) await tx.insert(backchannelDeliveries).values(deliveries);
      await destroySessionRecords(link.session_uid, tx);
      return deliveries.length;
    });
  }
  return { sessions: ended.length, queued };
}

/** A logout token the provider itself failed to deliver (RP-initiated logout): retried from here. */
export async function enqueueRetry(clientId: string, accountId: string, sid: string, error: string): Promise<void> {
  const db = await getDb();
  const [app] = await db.select().from(applications).where(eq(applications.clientId, clientId));
  if (!app) return;
  await db.insert(backchannelDeliveries).values({
    id: newId('bcl'),
    applicationId: app.id,
    accountId,
    sid,
    reason: 'rp_logout',
    attempts: 1,
    lastError: error.slice(0, 500),
    nextAttemptAt: new Date(Date.now() + nextDelay(1)),
  });
}

/**
 * The portal's server calls an application's back-channel logout URI, so, as for webhooks and
 * metadata URLs (lib/http/safe-fetch.ts): public addresses only, checked at registration and again
 * at the connect itself. Exceptions: ALLOW_PRIVATE_URLS, and a loopback host on a development
 * instance (an application on this machine).
 */
const mayReachPrivate = (url: URL) => env().ALLOW_PRIVATE_URLS || (env().loopbackHttp && isLoopbackHost(url.hostname));

/** Refuses (400 naming the field) a back-channel logout URI the portal may not call. */
export function checkBackchannelUri(raw: string): void {
  checkUntrustedUrl(raw, { path: 'backchannelLogoutUri', allowPrivate: mayReachPrivate(new URL(raw)) });
}

/**
 * The provider's outbound requests (its `fetch`: the logout tokens it sends): to a permitted
 * address only, never following a redirect, 10 s at most, and one message for every network
 * failure, which the console shows.
 */
export function backchannelFetch(url: string, options: UntrustedFetchInit): Promise<Response> {
  // 10 s rather than the library's own shorter signal: a slow application still gets its token.
  return untrustedFetch({ path: 'backchannelLogoutUri', allowPrivate: mayReachPrivate(new URL(url)), maxBytes: 64 * 1024, timeoutMs: 10_000 })(url, { ...options, signal: null });
}

async function deliverOne(d: BackchannelDelivery): Promise<'delivered' | 'retry' | 'failed'> {
  const db = await getDb();
  const [app] = await db.select().from(applications).where(eq(applications.id, d.applicationId));
  const { oidcProvider } = await import('./provider');
  const provider = await oidcProvider();
  const client = app ? await provider.Client.find(app.clientId).catch(() => undefined) : undefined;
  const attempts = d.attempts + 1;
  let error: string | null = null;
  if (!client?.backchannelLogoutUri) error = 'the application no longer has a back-channel logout URI';
  else {
    try {
      await client.backchannelLogout(d.accountId, d.sid);
    } catch (err) {
      const e = err as Error & { cause?: Error };
      error = `${e.message}${e.cause?.message ? `: ${e.cause.message}` : ''}`.slice(0, 500);
    }
  }
  const now = new Date();
  if (!error) {
    await db.update(backchannelDeliveries).set({ status: 'delivered', attempts, deliveredAt: now, lastError: null }).where(eq(backchannelDeliveries.id, d.id));
    return 'delivered';
  }
  const giveUp = !client?.backchannelLogoutUri || now.getTime() - d.createdAt.getTime() > GIVE_UP_AFTER_MS;
  await db
    .update(backchannelDeliveries)
    .set({ status: giveUp ? 'failed' : 'pending', attempts, lastError: error, nextAttemptAt: new Date(now.getTime() + nextDelay(attempts)) })
    .where(eq(backchannelDeliveries.id, d.id));
  if (giveUp && app) {
    await db.transaction((tx) =>
      record(tx, SYSTEM, {
        tenantId: null,
        action: 'application.backchannel_logout_failed',
        outcome: 'failure',
        reason: error,
        target: { type: 'application', id: app.id, label: app.name },
        details: { sub: d.accountId, sid: d.sid, attempts },
      }),
    );
  }
  return giveUp ? 'failed' : 'retry';
}

/**
 * Sends the logout tokens that are due (a bounded batch): each application's in order, the
 * applications side by side, and none started after RUN_BUDGET_MS. The batch takes every
 * application's oldest before anyone's second (however many another has due), so an application
 * whose endpoint never answers costs this run one delivery's timeout and holds up no other.
 */
export async function deliverDue(limit = DELIVERY_BATCH): Promise<Record<string, number>> {
  const db = await getDb();
  // Due by this instance's clock, to the millisecond after this one: the database keeps
  // microseconds, and a delivery queued earlier within this millisecond is due too.
  const now = new Date(Date.now() + 1).toISOString();
  // A few of each application's oldest (an index per application: a dead endpoint's backlog is not
  // read), then every application's first before anyone's second.
  const picked = (await db.execute(sql`
    select id from (
      select x.id, x.next_attempt_at, row_number() over (partition by x.application_id order by x.next_attempt_at) as turn
      from ${applications} a cross join lateral (
        select id, application_id, next_attempt_at from ${backchannelDeliveries}
        where application_id = a.id and status = 'pending' and next_attempt_at <= ${now}
        order by next_attempt_at limit ${limit}) x) r
    order by turn, next_attempt_at limit ${limit}`)) as unknown as { rows: { id: string }[] };
  const order = picked.rows.map((r) => r.id);
  const rows = order.length ? await db.select().from(backchannelDeliveries).where(inArray(backchannelDeliveries.id, order)) : [];
  const due = order.map((id) => rows.find((r) => r.id === id)).filter((r): r is BackchannelDelivery => !!r);
  const counts: Record<string, number> = { delivered: 0, retry: 0, failed: 0 };
  const byApp = new Map<string, BackchannelDelivery[]>();
  for (const d of due) {
    const list = byApp.get(d.applicationId);
    if (list) list.push(d);
    else byApp.set(d.applicationId, [d]);
  }
  const until = Date.now() + RUN_BUDGET_MS;
  await Promise.all(
    [...byApp.values()].map(async (list) => {
      for (const d of list) {
        if (Date.now() >= until) return; // the rest is due again at the next run
        counts[await deliverOne(d)]++;
      }
    }),
  );
  return counts;
}

/** The recent logout deliveries of an application (console). */
export async function deliveriesOf(applicationId: string, limit = 50): Promise<BackchannelDelivery[]> {
  const db = await getDb();
  return db
    .select()
    .from(backchannelDeliveries)
    .where(eq(backchannelDeliveries.applicationId, applicationId))
    .orderBy(sql`${backchannelDeliveries.createdAt} desc`)
    .limit(limit);
}

export const backchannelJob: Job = {
  name: 'backchannel-logout',
  everyMs: 2_000,
  async run() {
    const policy = await sweepPolicyEndedSessions();
    const reaped = await reapEndedSessions();
    const delivered = await deliverDue();
    if (reaped.sessions || delivered.delivered || delivered.retry || delivered.failed || policy) {
      log('info', 'back-channel logout', { ...reaped, ...delivered, policyEnded: policy });
    }
    return { ...reaped, ...delivered, policyEnded: policy };
  },
};
