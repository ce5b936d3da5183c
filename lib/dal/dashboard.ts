import 'server-only';
import { and, asc, eq, gt, inArray, or, sql } from 'drizzle-orm';
import { getDb } from '../db/client';
import { auditEvents, connections, directories, tenants, webhookEndpoints } from '../db/schema';
import { connectionLabel, testVerdict, type ConnectionTestResult } from '../validation/connections';

const DAY_MS = 24 * 3600 * 1000;
/** Certificates that expire within this many days need attention. */
export const CERT_WARNING_DAYS = 30;
/** A connection with at least this many failed sign-ins in the last day, and more failures than successes, is failing. */
const FAILING_AT = 3;
/** The dashboard lists at most this many tenants (the busiest first); the tenant list has them all. */
const MAX_TENANTS = 200;

export type TenantStatus = {
  id: string;
  slug: string;
  name: string;
  activeConnections: number;
  directories: number;
  signIns24h: number;
  failures24h: number;
};

export type Attention =
  | { kind: 'failing_connection'; tenant: { id: string; slug: string; name: string }; connectionId: string; label: string; failures: number; successes: number }
  | { kind: 'failed_test'; tenant: { id: string; slug: string; name: string }; connectionId: string; label: string }
  | { kind: 'certificate_expiring'; tenant: { id: string; slug: string; name: string }; connectionId: string; label: string; notAfter: Date; expired: boolean }
  | { kind: 'webhook_failing'; tenant: { id: string; slug: string; name: string } | null; webhookId: string; url: string; failures: number; enabled: boolean; lastError: string | null };

export type OperatorDashboard = {
  totals: { tenants: number; signIns24h: number; failures24h: number };
  attention: Attention[];
  tenants: TenantStatus[];
};

/**
 * The operator's view across tenants: sign-ins and failures of the last day, connections that are
 * failing or whose last test failed, IdP certificates expiring within 30 days, webhook endpoints
 * that fail or were disabled. A handful of queries, each bounded (the last day of sign-in events
 * through the time index; connections and endpoints are few per tenant).
 */
export async function operatorDashboard(now = new Date()): Promise<OperatorDashboard> {
  const db = await getDb();
  const since = new Date(now.getTime() - DAY_MS);
  const [tenantRows, signIns, conns, dirs, hooks] = await Promise.all([
    db.select({ id: tenants.id, slug: tenants.slug, name: tenants.name }).from(tenants).orderBy(asc(tenants.name)),
    db
      .select({ tenantId: auditEvents.tenantId, targetId: auditEvents.targetId, action: auditEvents.action, n: sql<number>`count(*)::int` })
      .from(auditEvents)
      .where(and(gt(auditEvents.occurredAt, since), inArray(auditEvents.action, ['sso.login_succeeded', 'sso.login_failed'])))
      .groupBy(auditEvents.tenantId, auditEvents.targetId, auditEvents.action),
    db.select().from(connections),
    db.select({ tenantId: directories.tenantId, n: sql<number>`count(*)::int` }).from(directories).groupBy(directories.tenantId),
    db
      .select()
      .from(webhookEndpoints)
      .where(or(gt(webhookEndpoints.failures, 0), eq(webhookEndpoints.enabled, false))),
  ]);
  const byId = new Map(tenantRows.map((t) => [t.id, t]));
  const status = new Map<string, TenantStatus>(
    tenantRows.map((t) => [t.id, { ...t, activeConnections: 0, directories: 0, signIns24h: 0, failures24h: 0 }]),
  );
  // Sign-in events name their connection as target (failures without a known connection have none).
  const perConnection = new Map<string, { ok: number; failed: number }>();
  for (const r of signIns) {
    const s = r.tenantId ? status.get(r.tenantId) : undefined;
    const ok = r.action === 'sso.login_succeeded';
    if (s) ok ? (s.signIns24h += r.n) : (s.failures24h += r.n);
    if (r.targetId) {
      const c = perConnection.get(r.targetId) ?? { ok: 0, failed: 0 };
      ok ? (c.ok += r.n) : (c.failed += r.n);
      perConnection.set(r.targetId, c);
    }
  }
  for (const d of dirs) {
    const s = status.get(d.tenantId);
    if (s) s.directories = d.n;
  }
  const attention: Attention[] = [];
  const warnBefore = now.getTime() + CERT_WARNING_DAYS * DAY_MS;
  for (const c of conns) {
    const t = byId.get(c.tenantId);
    if (!t) continue;
    if (c.status === 'active') status.get(c.tenantId)!.activeConnections++;
    const label = connectionLabel(c);
    const counts = perConnection.get(c.id);
    if (c.status === 'active' && counts && counts.failed >= FAILING_AT && counts.failed > counts.ok) {
      attention.push({ kind: 'failing_connection', tenant: t, connectionId: c.id, label, failures: counts.failed, successes: counts.ok });
    }
    const test = c.lastTest as ConnectionTestResult | null;
    if (test && testVerdict(test) === 'failed') attention.push({ kind: 'failed_test', tenant: t, connectionId: c.id, label });
    const soonest = (c.idp.certificates ?? []).map((x) => Date.parse(x.notAfter)).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)[0];
    // A rollover in progress (a later certificate beside it) still needs finishing; one that has
    // every certificate valid beyond the window does not.
    if (soonest !== undefined && soonest < warnBefore && (c.idp.certificates ?? []).every((x) => Date.parse(x.notAfter) < warnBefore)) {
      attention.push({ kind: 'certificate_expiring', tenant: t, connectionId: c.id, label, notAfter: new Date(soonest), expired: soonest <= now.getTime() });
    }
  }
  for (const h of hooks) {
    const t = h.tenantId ? (byId.get(h.tenantId) ?? null) : null;
    if (h.tenantId && !t) continue;
    attention.push({ kind: 'webhook_failing', tenant: t, webhookId: h.id, url: h.url, failures: h.failures, enabled: h.enabled, lastError: h.lastError });
  }
  const all = [...status.values()];
  return {
    totals: {
      tenants: all.length,
      signIns24h: all.reduce((n, s) => n + s.signIns24h, 0),
      failures24h: all.reduce((n, s) => n + s.failures24h, 0),
    },
    attention,
    tenants: all.sort((a, b) => b.signIns24h + b.failures24h - (a.signIns24h + a.failures24h) || a.name.localeCompare(b.name)).slice(0, MAX_TENANTS),
  };
}
