import 'server-only';
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import { changes, record, secretFingerprint } from '../audit/record';
import type { Ctx } from '../audit/types';
import { dbHandle, getDb, type Executor } from '../db/client';
import { applications, oidcPayloads, tenants, type Application } from '../db/schema';
import { badRequest, notFound } from '../errors';
import { env } from '../env';
import { newId } from '../ids';
import { pageOf } from '../dal/page';
import type { ApplicationCreate, ApplicationPatch, ApplicationView } from '../validation/applications';
import { checkBackchannelUri } from './backchannel';

/**
 * The operator's applications (the OpenID Provider's clients). Operator-only: every change
 * writes its `application.*` event in the operator's audit log in the same transaction. A
 * confidential application's secret is shown once and kept only as a SHA-256 hash.
 */
export const secretHash = (secret: string) => createHash('sha256').update(secret).digest('hex');
/** A client secret in the audit log: its fingerprint, from the hash that is all the portal keeps. */
const fingerprint = (hash: string | null) => secretFingerprint(hash ? { sha256: hash } : null);
const newClientSecret = () => `cs_${randomBytes(32).toString('base64url')}`;
const newClientId = () => `client_${randomBytes(16).toString('base64url').replace(/[-_]/g, '').slice(0, 20).toLowerCase()}${randomBytes(2).toString('hex')}`;

export function toApplicationView(a: Application): ApplicationView {
  return {
    id: a.id,
    name: a.name,
    clientId: a.clientId,
    type: a.type,
    redirectUris: a.redirectUris,
    postLogoutRedirectUris: a.postLogoutRedirectUris,
    backchannelLogoutUri: a.backchannelLogoutUri,
    initiateLoginUri: a.initiateLoginUri,
    tenantIds: a.tenantIds,
    createdAt: a.createdAt.toISOString(),
  };
}

const settingsOf = (a: Application) => ({
  name: a.name,
  type: a.type,
  redirectUris: a.redirectUris,
  postLogoutRedirectUris: a.postLogoutRedirectUris,
  backchannelLogoutUri: a.backchannelLogoutUri,
  initiateLoginUri: a.initiateLoginUri,
  tenantIds: a.tenantIds,
});

/** Every named tenant must exist: a 400 naming the first unknown one. */
async function checkTenants(tx: Executor, ids: string[] | null | undefined): Promise<void> {
  if (!ids?.length) return;
  const found = new Set((await tx.select({ id: tenants.id }).from(tenants).where(inArray(tenants.id, ids))).map((r) => r.id));
  const i = ids.findIndex((id) => !found.has(id));
  if (i >= 0) throw badRequest(`unknown tenant ${ids[i]}`, [{ path: `tenantIds.${i}`, message: `no tenant has the ID ${ids[i]}` }]);
}

export async function createApplication(ctx: Ctx, input: ApplicationCreate): Promise<ApplicationView & { clientSecret?: string }> {
  if (input.backchannelLogoutUri) checkBackchannelUri(input.backchannelLogoutUri);
  const type = input.type ?? 'confidential';
  const clientSecret = type === 'confidential' ? newClientSecret() : undefined;
  const db = await getDb();
  return db.transaction(async (tx) => {
    await checkTenants(tx, input.tenantIds);
    const [row] = await tx
      .insert(applications)
      .values({
        id: newId('app'),
        name: input.name,
        clientId: newClientId(),
        type,
        secretHash: clientSecret ? secretHash(clientSecret) : null,
        redirectUris: input.redirectUris,
        postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
        backchannelLogoutUri: input.backchannelLogoutUri ?? null,
        initiateLoginUri: input.initiateLoginUri ?? null,
        tenantIds: input.tenantIds ?? null,
      })
      .returning();
    await record(tx, ctx, {
      tenantId: null,
      action: 'application.created',
      target: { type: 'application', id: row.id, label: row.name },
      details: { after: { ...settingsOf(row), clientId: row.clientId } },
    });
    return { ...toApplicationView(row), ...(clientSecret ? { clientSecret } : {}) };
  });
}

export async function listApplications(page: { limit: number; cursor?: string } = { limit: 200 }) {
  const db = await getDb();
  const rows = await db
    .select()
    .from(applications)
    .where(page.cursor ? gt(applications.id, page.cursor) : undefined)
    .orderBy(asc(applications.id))
    .limit(page.limit + 1);
  const { page: data, nextCursor } = pageOf(rows, page.limit);
  return { data: data.map(toApplicationView), nextCursor };
}

export async function getApplication(id: string): Promise<Application> {
  const db = await getDb();
  const [a] = await db.select().from(applications).where(eq(applications.id, id));
  if (!a) throw notFound('Application');
  return a;
}

/**
 * The application of an OAuth client_id (the provider's client lookup, several times per sign-in),
 * or null: one prepared statement.
 */
/**
 * How long an application row read for a sign-in is reused. One sign-in reads its client four
 * times within moments (authorization request, interaction, resume, token exchange), a refresh
 * once. A change made through this module clears the row on this instance at once; another
 * instance sees it within this time. Deleting an application still ends its tokens at once on
 * every instance: they are deleted with it, and every token use reads the application afresh
 * (ACCOUNT_SQL in provider.ts).
 */
export const CLIENT_REUSE_MS = 2000;
// One map per process: Next.js bundles this module once per server chunk, and a change made
// through the API or the console must clear what the provider's routes read.
const g = globalThis as unknown as { __portalRecentClients?: Map<string, { app: Application; until: number }> };
const recentClients = (g.__portalRecentClients ??= new Map());
/** Only rows that exist are kept (unknown client IDs never fill it); a bound all the same. */
const MAX_RECENT_CLIENTS = 1000;
const forgetClient = (clientId: string) => recentClients.delete(clientId);

export async function applicationByClientId(clientId: string): Promise<Application | null> {
  const recent = recentClients.get(clientId);
  if (recent && recent.until > performance.now()) return recent.app;
  const app = await readApplicationByClientId(clientId);
  if (app) {
    if (recentClients.size >= MAX_RECENT_CLIENTS) recentClients.clear();
    recentClients.set(clientId, { app, until: performance.now() + CLIENT_REUSE_MS });
  } else recentClients.delete(clientId);
  return app;
}

async function readApplicationByClientId(clientId: string): Promise<Application | null> {
  if (clientId.length > 100 || clientId.includes('\u0000')) return null;
  const db = await dbHandle();
  const [r] = await db.queryPrepared<Record<string, unknown>>(
    `select id, name, client_id, type, secret_hash, redirect_uris, post_logout_redirect_uris, backchannel_logout_uri, initiate_login_uri, tenant_ids, created_at, updated_at
       from applications where client_id = $1`,
    [clientId],
  );
  if (!r) return null;
  return {
    id: r.id as string,
    name: r.name as string,
    clientId: r.client_id as string,
    type: r.type as Application['type'],
    secretHash: (r.secret_hash as string | null) ?? null,
    redirectUris: r.redirect_uris as string[],
    postLogoutRedirectUris: r.post_logout_redirect_uris as string[],
    backchannelLogoutUri: (r.backchannel_logout_uri as string | null) ?? null,
    initiateLoginUri: (r.initiate_login_uri as string | null) ?? null,
    tenantIds: (r.tenant_ids as string[] | null) ?? null,
    createdAt: new Date(r.created_at as string),
    updatedAt: new Date(r.updated_at as string),
  };
}

export async function updateApplication(ctx: Ctx, id: string, patch: ApplicationPatch): Promise<ApplicationView & { clientSecret?: string }> {
  if (patch.backchannelLogoutUri) checkBackchannelUri(patch.backchannelLogoutUri);
  const db = await getDb();
  const view = await db.transaction(async (tx) => {
    const [before] = await tx.select().from(applications).where(eq(applications.id, id)).for('update');
    if (!before) throw notFound('Application');
    await checkTenants(tx, patch.tenantIds);
    const next: Partial<ReturnType<typeof settingsOf>> = {};
    for (const k of ['name', 'redirectUris', 'postLogoutRedirectUris', 'backchannelLogoutUri', 'initiateLoginUri', 'tenantIds'] as const) {
      if (patch[k] !== undefined) (next as Record<string, unknown>)[k] = patch[k];
    }
    // A new type: a public application has no secret; one made confidential gets a new one, shown
    // once in this answer (as on POST).
    const clientSecret = patch.type === 'confidential' && before.type !== 'confidential' ? newClientSecret() : undefined;
    const typeChange = patch.type !== undefined && patch.type !== before.type ? { type: patch.type, secretHash: clientSecret ? secretHash(clientSecret) : null } : {};
    if (typeChange.type) next.type = typeChange.type;
    const diff = changes(settingsOf(before), next);
    if (!diff) return toApplicationView(before);
    const [after] = await tx
      .update(applications)
      .set({ ...next, ...typeChange, updatedAt: new Date() })
      .where(eq(applications.id, id))
      .returning();
    const secrets = typeChange.type ? { before: { secret: fingerprint(before.secretHash) }, after: { secret: fingerprint(after.secretHash) } } : null;
    // Made public: what it was given while a secret guarded it (codes, grants, refresh and access
    // tokens, and sign-ins under way: one begun without PKCE would end at a code no secret guards)
    // would work without one from now on, for whoever holds it. All of it goes: its users sign in again.
    const revoked =
      typeChange.type === 'public'
        ? { revokedRecords: (await tx.delete(oidcPayloads).where(eq(oidcPayloads.clientId, before.clientId)).returning({ id: oidcPayloads.id })).length }
        : {};
    const details = secrets ? { before: { ...diff.before, ...secrets.before }, after: { ...diff.after, ...secrets.after }, ...revoked } : diff;
    await record(tx, ctx, { tenantId: null, action: 'application.updated', target: { type: 'application', id, label: after.name }, details });
    return { ...toApplicationView(after), ...(clientSecret ? { clientSecret } : {}) };
  });
  forgetClient(view.clientId);
  return view;
}

/**
 * What a tenant's users may open from the portal's start page (/app): the applications with an
 * initiate-login URI that admit the tenant, by name.
 */
export async function launchableApplications(tenantId: string): Promise<{ id: string; name: string; initiateLoginUri: string }[]> {
  const db = await getDb();
  const rows = await db
    .select({ id: applications.id, name: applications.name, initiateLoginUri: applications.initiateLoginUri })
    .from(applications)
    .where(and(isNotNull(applications.initiateLoginUri), or(isNull(applications.tenantIds), sql`${tenantId} = any(${applications.tenantIds})`)))
    .orderBy(asc(applications.name), asc(applications.id))
    .limit(100);
  return rows.map((r) => ({ ...r, initiateLoginUri: r.initiateLoginUri! }));
}

/** OIDC Core 4 (third-party initiated login): the link that has an application start a sign-in at this issuer, for this person. */
export function initiateLoginLink(uri: string, email: string): string {
  const u = new URL(uri);
  // Appended: the application's own query stays as it was written (a signed one, a bare `?flag`).
  const ours = new URLSearchParams({ iss: env().PUBLIC_URL, login_hint: email }).toString();
  u.search = u.search ? `${u.search}&${ours}` : ours;
  return u.href;
}

/** Deletes the application and, in the same transaction, every code, token and grant it holds. */
export async function deleteApplication(ctx: Ctx, id: string): Promise<void> {
  const db = await getDb();
  const clientId = await db.transaction(async (tx) => {
    const [row] = await tx.delete(applications).where(eq(applications.id, id)).returning();
    if (!row) throw notFound('Application');
    await tx.delete(oidcPayloads).where(eq(oidcPayloads.clientId, row.clientId));
    await record(tx, ctx, {
      tenantId: null,
      action: 'application.deleted',
      target: { type: 'application', id, label: row.name },
      details: { before: { ...settingsOf(row), clientId: row.clientId } },
    });
    return row.clientId;
  });
  forgetClient(clientId);
}

/**
 * A new secret, shown once; the old one stops working at once on this instance, within
 * CLIENT_REUSE_MS on others. Public applications have none.
 */
export async function rotateApplicationSecret(ctx: Ctx, id: string): Promise<{ clientSecret: string }> {
  const clientSecret = newClientSecret();
  const db = await getDb();
  const clientId = await db.transaction(async (tx) => {
    const [previous] = await tx.select({ type: applications.type, secretHash: applications.secretHash }).from(applications).where(eq(applications.id, id)).for('update');
    if (!previous) throw notFound('Application');
    if (previous.type !== 'confidential') {
      const message = 'a public application has no secret (it uses PKCE)';
      throw badRequest(message, [{ path: 'applicationId', message }]);
    }
    const [row] = await tx.update(applications).set({ secretHash: secretHash(clientSecret), updatedAt: new Date() }).where(eq(applications.id, id)).returning();
    await record(tx, ctx, {
      tenantId: null,
      action: 'application.secret_rotated',
      target: { type: 'application', id, label: row.name },
      details: { before: { secret: fingerprint(previous.secretHash) }, after: { secret: fingerprint(row.secretHash) } },
    });
    return row.clientId;
  });
  forgetClient(clientId);
  return { clientSecret };
}
