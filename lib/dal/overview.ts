import 'server-only';
import { and, desc, eq, gt, inArray, max, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { applications, auditEvents, scimRequests, sessions } from '../db/schema';
import { testVerdict, type ConnectionTestResult, type TestVerdict } from '../validation/connections';
import { listConnections } from './connections';
import { listDirectories } from './directories';
import { isTrusted, listDomains } from './domains';
import type { TenantWithDomains } from './tenants';

export type SetupState = {
  domains: { domain: string; trusted: boolean }[];
  connections: { id: string; label: string; status: 'draft' | 'tested' | 'active'; verdict: TestVerdict | null }[];
  directories: { id: string; name: string; users: number; lastRequestAt: Date | null }[];
  applications: { configured: number; signInsLast30Days: number };
  recentSignIns: { id: string; occurredAt: Date; ok: boolean; who: string | null; reason: string | null }[];
};

const SIGN_IN_ACTIONS = ['sso.login_succeeded', 'sso.login_failed'];

/** Which parts the visitor's console scopes show; the others are neither read nor returned. */
export type OverviewSections = { domains: boolean; sso: boolean; directories: boolean; auditLog: boolean };

/** Everything the tenant overview's set-up checklist reads, in one place (a handful of small queries). */
export async function tenantSetupState(tenant: TenantWithDomains, show: OverviewSections): Promise<SetupState> {
  const db = await getDb();
  const since = new Date(Date.now() - 30 * 24 * 3600 * 1000);
  const none = Promise.resolve([] as never[]);
  const [domains, connections, directories, lastRequests, apps, appSignIns, recent] = await Promise.all([
    show.domains ? listDomains(tenant.id) : none,
    show.sso ? listConnections(tenant.id) : Promise.resolve({ data: [] as Awaited<ReturnType<typeof listConnections>>['data'] }),
    show.directories ? listDirectories(tenant.id) : Promise.resolve({ data: [] as Awaited<ReturnType<typeof listDirectories>>['data'] }),
    show.directories
      ? db
          .select({ directoryId: scimRequests.directoryId, at: max(scimRequests.occurredAt) })
          .from(scimRequests)
          .where(eq(scimRequests.tenantId, tenant.id))
          .groupBy(scimRequests.directoryId)
      : none,
    show.sso
      ? db
          .select({ n: sql<number>`count(*)::int` })
          .from(applications)
          .where(sql`${applications.tenantIds} is null or ${tenant.id} = any(${applications.tenantIds})`)
      : none,
    show.sso
      ? db
          .select({ n: sql<number>`count(*)::int` })
          .from(auditEvents)
          .where(and(eq(auditEvents.tenantId, tenant.id), eq(auditEvents.action, 'application.signed_in'), gt(auditEvents.occurredAt, since)))
      : none,
    show.auditLog
      ? db
          .select()
          .from(auditEvents)
          .where(and(eq(auditEvents.tenantId, tenant.id), inArray(auditEvents.action, SIGN_IN_ACTIONS)))
          .orderBy(desc(auditEvents.occurredAt))
          .limit(8)
      : none,
  ]);
  const lastAt = new Map(lastRequests.map((r) => [r.directoryId, r.at ? new Date(r.at) : null]));
  return {
    domains: domains.map((d) => ({ domain: d.domain, trusted: isTrusted(d) })),
    connections: connections.data.map((c) => ({
      id: c.id,
      label: c.name ?? c.idp.entityId ?? c.idp.issuer ?? c.type.toUpperCase(),
      status: c.status,
      verdict: c.lastTest ? testVerdict(c.lastTest as ConnectionTestResult) : null,
    })),
    directories: directories.data.map((d) => ({ id: d.id, name: d.name, users: d.userCount, lastRequestAt: lastAt.get(d.id) ?? null })),
    applications: { configured: Number(apps[0]?.n ?? 0), signInsLast30Days: Number(appSignIns[0]?.n ?? 0) },
    recentSignIns: recent.map((e) => ({
      id: e.id,
      occurredAt: e.occurredAt,
      ok: e.action === 'sso.login_succeeded',
      who: e.actorLabel ?? e.targetLabel ?? null,
      reason: e.reason,
    })),
  };
}

/** When a console session ends (a setup link's visitor sees it). */
export async function sessionExpiry(sessionId: string): Promise<Date | null> {
  const db = await getDb();
  const [s] = await db.select({ expiresAt: sessions.expiresAt }).from(sessions).where(eq(sessions.id, sessionId));
  return s?.expiresAt ?? null;
}
