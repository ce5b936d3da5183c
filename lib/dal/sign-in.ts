import 'server-only';
import { and, asc, eq, gt, sql, type SQL } from 'drizzle-orm';
import { dbHandle, getDb, type Db, type Executor } from '../db/client';
import { connections, ssoFlows, tenantDomains, tenants, type Connection } from '../db/schema';
import { trustedDomainSql } from './domains';
import type { TenantWithDomains } from './tenants';

/**
 * The reads of a sign-in, each one statement: they run on every sign-in, and each statement
 * saved is a round trip and its share of CPU on both sides (`npm run bench:signin`).
 */

/**
 * A tenant as sign-in needs it: its domains, which of them are trusted (operator-added or
 * DNS-verified), and the version of its row as read (`xmin`), which the sign-in's write checks
 * (lib/provisioning/jit.ts): rules or a strategy changed meanwhile are read again.
 */
export type SignInTenant = TenantWithDomains & { trustedDomains: string[]; version: string };

const versionOf = sql<string>`${tenants}.xmin::text`;

const domainsOf = sql<string[]>`array(select ${tenantDomains.domain} from ${tenantDomains} where ${tenantDomains.tenantId} = ${tenants.id} order by ${tenantDomains.domain})`;
const trustedDomainsOf = sql<string[]>`array(select ${tenantDomains.domain} from ${tenantDomains} where ${tenantDomains.tenantId} = ${tenants.id} and ${trustedDomainSql()} order by ${tenantDomains.domain})`;
/**
 * The tenant's `allowedDomains` without those another tenant owns (operator-added or verified):
 * an allowed domain never lets a tenant sign in people of another tenant's domain, even if it was
 * listed before that tenant claimed it (the write paths refuse such domains too).
 */
const allowedDomainsOf = sql<string[]>`array(select d from unnest(${tenants.allowedDomains}) as d where not exists (select 1 from ${tenantDomains} where ${tenantDomains.domain} = d and ${tenantDomains.tenantId} <> ${tenants.id} and ${trustedDomainSql()}))`;

/**
 * Where `GET /sso` sends a browser: the tenant of a trusted email domain (or of a slug), and its
 * active connection (the first by ID, as there may be several), or null when it has none.
 */
export async function signInTarget(by: { domain: string } | { slug: string }): Promise<{ tenant: SignInTenant; connection: Connection | null } | null> {
  const q = prepared(await getDb());
  const [row] = 'domain' in by ? await q.targetByDomain.execute({ domain: by.domain.trim().toLowerCase() }) : await q.targetBySlug.execute({ slug: by.slug });
  if (!row) return null;
  return { tenant: { ...row.tenant, domains: row.domains, trustedDomains: row.trustedDomains, allowedDomains: row.allowedDomains, version: row.version }, connection: row.connection };
}

/**
 * The statements of every sign-in, built once per database handle and run as prepared
 * statements: building a drizzle query costs more CPU than the database spends running it.
 */
const cache = new WeakMap<Db, ReturnType<typeof prepare>>();
const prepared = (db: Db) => {
  let p = cache.get(db);
  if (!p) cache.set(db, (p = prepare(db)));
  return p;
};

function prepare(db: Db) {
  const firstActive = db
    .select({ id: connections.id })
    .from(connections)
    .where(and(eq(connections.tenantId, tenants.id), eq(connections.status, 'active')))
    .orderBy(asc(connections.id))
    .limit(1);
  const target = (where: SQL) =>
    db
      .select({ tenant: tenants, domains: domainsOf, trustedDomains: trustedDomainsOf, allowedDomains: allowedDomainsOf, version: versionOf, connection: connections })
      .from(tenants)
      .leftJoin(connections, eq(connections.id, sql`(${firstActive})`))
      .where(where)
      .limit(1);
  const taken = db.$with('taken').as(
    db
      .delete(ssoFlows)
      .where(and(eq(ssoFlows.key, sql.placeholder('key')), gt(ssoFlows.expiresAt, sql`now()`)))
      .returning(),
  );
  return {
    targetByDomain: target(
      sql`${tenants.id} = (select ${tenantDomains.tenantId} from ${tenantDomains} where ${tenantDomains.domain} = ${sql.placeholder('domain')} and ${trustedDomainSql()})`,
    ).prepare('sign_in_target_by_domain'),
    targetBySlug: target(eq(tenants.slug, sql.placeholder('slug'))).prepare('sign_in_target_by_slug'),
    takeFlow: db
      .with(taken)
      .select({
        flow: {
          key: taken.key,
          connectionId: taken.connectionId,
          tenantId: taken.tenantId,
          requestId: taken.requestId,
          purpose: taken.purpose,
          detail: taken.detail,
          expiresAt: taken.expiresAt,
        },
        connection: connections,
        tenant: tenants,
        domains: domainsOf,
        trustedDomains: trustedDomainsOf,
        allowedDomains: allowedDomainsOf,
        version: versionOf,
      })
      .from(taken)
      .leftJoin(connections, eq(connections.id, taken.connectionId))
      .leftJoin(tenants, eq(tenants.id, connections.tenantId))
      .prepare('sign_in_take_flow'),
    insertFlow: db
      .insert(ssoFlows)
      .values({
        key: sql.placeholder('key'),
        connectionId: sql.placeholder('connectionId'),
        tenantId: sql.placeholder('tenantId'),
        requestId: sql.placeholder('requestId'),
        purpose: sql.placeholder('purpose'),
        detail: sql.placeholder('detail'),
        expiresAt: sql.placeholder('expiresAt'),
      })
      .prepare('sign_in_insert_flow'),
  };
}

export type SsoFlow = typeof ssoFlows.$inferSelect;

/**
 * Takes a sign-in flow record (deletes it, so it is used once) if it has not expired, with its
 * connection and that connection's tenant. Null when there is no such record; `connection` and
 * `tenant` are null when the connection was deleted meanwhile.
 */
export async function takeFlow(key: string): Promise<{ flow: SsoFlow; connection: Connection | null; tenant: SignInTenant | null } | null> {
  if (key.includes('\u0000')) return null; // no flow has one (a RelayState or state from the request)
  const [row] = await prepared(await getDb()).takeFlow.execute({ key });
  if (!row) return null;
  const tenant = row.tenant ? { ...row.tenant, domains: row.domains ?? [], trustedDomains: row.trustedDomains ?? [], allowedDomains: row.allowedDomains ?? [], version: row.version } : null;
  return { flow: row.flow, connection: row.connection, tenant };
}

/**
 * Stores a step of a sign-in (one use, until `expiresAt`), for the next step to take. `along`: the
 * insert is handed to a write that stores it with others, all or nothing (an application's
 * authorization request stores it with its interaction).
 */
export async function putFlow(
  flow: Omit<SsoFlow, 'purpose' | 'requestId' | 'detail'> & Partial<Pick<SsoFlow, 'purpose' | 'requestId' | 'detail'>>,
  along?: (statement: SQL) => void,
): Promise<void> {
  const row = {
    key: flow.key,
    connectionId: flow.connectionId,
    tenantId: flow.tenantId,
    requestId: flow.requestId ?? null,
    purpose: flow.purpose ?? 'signin',
    detail: flow.detail ?? null,
    expiresAt: flow.expiresAt,
  };
  const db = await getDb();
  if (along) along(db.insert(ssoFlows).values(row).getSQL());
  else await prepared(db).insertFlow.execute(row);
}

/** Records an accepted assertion ID; false when it was accepted before (a replay), on any instance. */
export async function firstUseOfAssertion(assertionId: string, connectionId: string, expiresAt: Date): Promise<boolean> {
  const rows = await (await dbHandle()).queryPrepared(
    'insert into seen_assertions (assertion_id, connection_id, expires_at) values ($1, $2, $3) on conflict do nothing returning 1 as fresh',
    [assertionId, connectionId, expiresAt.toISOString()],
  );
  return rows.length === 1;
}

/**
 * A tenant by ID, as sign-in needs it; on `tx` with `lock`, its row held (FOR KEY SHARE: a change of
 * its rules, which locks it FOR UPDATE, waits for the transaction, or the transaction for it).
 */
export async function signInTenant(id: string, tx?: Executor, lock = false): Promise<SignInTenant | null> {
  const db = tx ?? (await getDb());
  const q = db
    .select({ tenant: tenants, domains: domainsOf, trustedDomains: trustedDomainsOf, allowedDomains: allowedDomainsOf, version: versionOf })
    .from(tenants)
    .where(eq(tenants.id, id));
  const [row] = lock ? await q.for('key share') : await q;
  return row ? { ...row.tenant, domains: row.domains, trustedDomains: row.trustedDomains, allowedDomains: row.allowedDomains, version: row.version } : null;
}
