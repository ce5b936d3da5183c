import 'server-only';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { dbHandle } from '../db/client';
import { log } from '../log';

/**
 * Prometheus metrics of this instance (`GET /metrics`, see app/metrics/route.ts). Counters are
 * kept by the code paths they count; gauges of shared state (webhook backlog, job leases, the
 * audit sequencer, back-channel logouts) are read from the database when scraped. One registry
 * per process, on globalThis, so every bundle of the server counts into the same one.
 */
type Metrics = {
  registry: Registry;
  signIns: Counter<'protocol' | 'outcome' | 'reason'>;
  signInSeconds: Histogram<'protocol' | 'outcome'>;
  scim: Counter<'kind' | 'method' | 'status'>;
  tokens: Counter<'grant_type' | 'outcome'>;
};

const g = globalThis as unknown as { __portalMetrics?: Metrics };

function create(): Metrics {
  const registry = new Registry();
  const signIns = new Counter({ name: 'portal_signins_total', help: 'Sign-ins by protocol, outcome and typed refusal reason', labelNames: ['protocol', 'outcome', 'reason'], registers: [registry] });
  const signInSeconds = new Histogram({
    name: 'portal_signin_duration_seconds',
    help: 'From the start of a sign-in (/sso) to its end (callback), IdP time included',
    labelNames: ['protocol', 'outcome'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const scim = new Counter({ name: 'portal_scim_requests_total', help: 'SCIM requests by directory kind, method and status', labelNames: ['kind', 'method', 'status'], registers: [registry] });
  const tokens = new Counter({ name: 'portal_oidc_tokens_total', help: "The OpenID Provider's token endpoint: grants issued and refused", labelNames: ['grant_type', 'outcome'], registers: [registry] });

  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        try {
          this.reset();
          await collect(this);
        } catch (err) {
          log('warn', 'metrics: could not collect', { metric: name, err });
        }
      },
    });
  gauge('portal_db_pool_connections', 'PostgreSQL pool of this instance: connections in use, idle, and requests waiting', ['state'], async (m) => {
    const stats = (await dbHandle()).poolStats?.();
    if (!stats) return;
    m.set({ state: 'in_use' }, stats.total - stats.idle);
    m.set({ state: 'idle' }, stats.idle);
    m.set({ state: 'waiting' }, stats.waiting);
  });
  gauge('portal_webhook_backlog_events', 'Events an enabled webhook endpoint has yet to receive', ['endpoint'], async (m) => {
    // Events past the endpoint's cursor in each chain it covers (before its event-type filter: an upper bound).
    const rows = await (await dbHandle()).query<{ id: string; backlog: number }>(
      `select e.id, (select count(*) from audit_events a
          where a.seq is not null and (e.tenant_id is null or a.chain_key = e.tenant_id)
            and a.seq > coalesce((select c.seq from webhook_cursors c where c.endpoint_id = e.id and c.chain_key = a.chain_key), 0))::int as backlog
         from webhook_endpoints e where e.enabled limit 500`,
    );
    for (const r of rows) m.set({ endpoint: r.id }, r.backlog);
  });
  gauge('portal_webhook_consecutive_failures', 'Failed deliveries in a row per webhook endpoint', ['endpoint'], async (m) => {
    const rows = await (await dbHandle()).query<{ id: string; failures: number }>('select id, failures from webhook_endpoints where enabled limit 500');
    for (const r of rows) m.set({ endpoint: r.id }, r.failures);
  });
  gauge('portal_job_last_finished_seconds', 'When each scheduled job last finished (unix seconds), and by which holder its lease is held', ['job', 'holder'], async (m) => {
    const rows = await (await dbHandle()).query<{ name: string; holder: string | null; finished: number | null }>(
      'select name, holder, extract(epoch from last_finished_at)::float8 as finished from job_leases',
    );
    for (const r of rows) m.set({ job: r.name, holder: r.holder ?? '' }, r.finished ?? 0);
  });
  gauge('portal_audit_unsequenced_events', 'Audit events not yet linked into their chain (the sequencer’s lag)', [], async (m) => {
    const [r] = await (await dbHandle()).query<{ n: number }>('select count(*)::int as n from audit_events where seq is null');
    m.set(r?.n ?? 0);
  });
  gauge('portal_backchannel_logouts', 'Back-channel logout tokens by delivery status', ['status'], async (m) => {
    const rows = await (await dbHandle()).query<{ status: string; n: number }>('select status, count(*)::int as n from backchannel_deliveries group by status');
    for (const r of rows) m.set({ status: r.status }, r.n);
  });
  return { registry, signIns, signInSeconds, scim, tokens };
}

export const metrics = (): Metrics => (g.__portalMetrics ??= create());

/** A sign-in ended: success, or a refusal with its typed reason. `startedAt` is the flow's start (ms), when known. */
export function countSignIn(protocol: string, outcome: 'success' | 'failure', reason: string | null, startedAt?: number | null): void {
  const m = metrics();
  m.signIns.inc({ protocol, outcome, reason: reason ?? '' });
  if (startedAt) m.signInSeconds.observe({ protocol, outcome }, Math.max(0, (Date.now() - startedAt) / 1000));
}

export function countScim(kind: string, method: string, status: number): void {
  metrics().scim.inc({ kind, method, status: String(status) });
}

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);

/** `grantType` is what the request said: a label only when it is a known grant type, else `other` (no series per caller). */
export function countToken(grantType: string, outcome: 'issued' | 'refused'): void {
  metrics().tokens.inc({ grant_type: GRANT_TYPES.has(grantType) ? grantType : 'other', outcome });
}
