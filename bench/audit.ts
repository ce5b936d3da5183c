/**
 * Audit log at scale, on PostgreSQL (standalone; bench/run.ts is the sign-in bench):
 *
 *   node --conditions=react-server --import tsx bench/audit.ts [options]
 *
 * Builds a fresh database next to BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test,
 * dropped afterwards unless --keep): one tenant with --events (1,000,000) events and --tenants
 * (100) other tenants with --per-tenant (5,000) events each, interleaved in time over 90 days,
 * written by generate_series in SQL (hashes are filler, not a real chain). Then:
 *
 *  - first-page latency (limit 50) of several filters through the portal's code
 *    (listAuditEvents + toAuditView, what the API route runs) against the same query as bare SQL
 *    on a plain pg client — median over --runs (50) runs each, interleaved;
 *  - export throughput (rows/s) of the streamed CSV and NDJSON export, and the process's peak RSS
 *    while it streams;
 *  - chain verification throughput on a real chain of --verify-events (50,000) events.
 *
 * Targets: first page < 50 ms median and within 2× of bare SQL; export > 50,000 rows/s.
 * --only=q measures the free-text filter alone (the q scenarios, each also against the per-column
 * scan it replaced; no export, no verification). The trigram index (drizzle/0008_audit_trgm.sql) is
 * dropped for the load and built once after it (bulk build), and its build time and size reported.
 * --proposed-indexes re-creates the indexes listed in PROPOSED_INDEXES if missing (migration 0005 now has them; on the throwaway
 * database only) and measures the filters that missed the target again (adds ~30 s).
 * The machine's load average is recorded at start and end: figures taken on a busy machine are noisy.
 * Prints a table on stderr, one BENCH_RESULT JSON line on stdout, and writes
 * bench/results/audit-latest.json. Takes about 2–3 minutes on 2 cores.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { readFileSync } from 'node:fs';

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const EVENTS = Number(arg('events', '1000000'));
const TENANTS = Number(arg('tenants', '100'));
const PER_TENANT = Number(arg('per-tenant', '5000'));
const RUNS = Number(arg('runs', '50'));
const VERIFY_EVENTS = Number(arg('verify-events', '50000'));
const KEEP = process.argv.includes('--keep');
const ONLY = arg('only', '');
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const benchDir = path.dirname(fileURLToPath(import.meta.url));

const say = (m: string) => process.stderr.write(`${m}\n`);
const ms = (n: number) => Math.round(n * 100) / 100;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const dbName = `bench_audit_${randomBytes(4).toString('hex')}`;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-audit-'));
let created = false;
let rawPool: pg.Pool | null = null;
async function cleanup() {
  await rawPool?.end().catch(() => {});
  rawPool = null;
  if (created && !KEEP) await admin((c) => c.query(`drop database if exists ${dbName} with (force)`)).catch((e) => say(`could not drop ${dbName}: ${e.message}`));
  rmSync(dataDir, { recursive: true, force: true });
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void cleanup().then(() => process.exit(130)));

/** The SQL that writes `n` events of one tenant, spread over [start, end), with a varied mix. */
function insertSql(tenant: string, idPrefix: string, n: number, start: number, end: number): string {
  // r: a cheap pseudo-random 0..99 per row; u: which of 20,000 users.
  return `
    insert into audit_events (id, chain_key, seq, tenant_id, occurred_at, action, outcome, actor_type, actor_id, actor_label,
      target_type, target_id, target_label, ip, user_agent, reason, details, prev_hash, hash)
    select '${idPrefix}' || lpad(g::text, 8, '0'), '${tenant}', g, '${tenant}',
      to_timestamp((${start} + floor((g - 1)::float8 * ${end - start} / ${n}))::float8 / 1000),
      case when r < 70 then 'sso.login_succeeded' when r < 80 then 'sso.login_failed' when r < 88 then 'user.updated'
           when r < 94 then 'scim.request_rejected' when r < 97 then 'user.created' when r < 99 then 'connection.created'
           else 'role_mapping.updated' end,
      case when (r >= 70 and r < 80) or (r >= 88 and r < 94) then 'failure' else 'success' end,
      case when r < 80 then 'user' when r < 88 then 'admin' when r < 97 then 'directory' else 'operator' end,
      case when r < 80 then 'usr_' || u when r < 88 then 'adm_' || (u % 20) when r < 97 then 'dir_1' else 'key_1' end,
      case when r < 80 then 'user' || u || '@corp.example.com' when r < 88 then 'admin' || (u % 20) || '@corp.example.com'
           when r < 97 then 'Okta SCIM' else 'api key: ci' end,
      case when r >= 80 and r < 97 then 'user' when r >= 97 then 'connection' end,
      case when r >= 80 and r < 97 then 'usr_' || u when r >= 97 then 'con_' || ((g / 7) % 50) end,
      case when r >= 80 and r < 97 then 'user' || u || '@corp.example.com' end,
      case when r < 80 then '10.' || (g % 250) || '.' || ((g / 250) % 250) || '.' || (g % 7 + 1) end,
      case when r < 80 then 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0' end,
      case when r >= 70 and r < 80 then 'signature invalid' when r >= 88 and r < 94 then 'unknown userName' end,
      case when r >= 80 and r < 88 then jsonb_build_object('before', jsonb_build_object('roles', jsonb_build_array('member')),
                                                             'after', jsonb_build_object('roles', jsonb_build_array('member', 'admin')))
           when r < 70 then jsonb_build_object('connectionId', 'con_1', 'roles', jsonb_build_array('member')) end,
      md5(g::text) || md5((g + 1)::text), md5((g + 1)::text) || md5(g::text)
    from (select g, ((g * 7919) % 100)::int as r, ((g * 104729) % 20000)::int as u from generate_series(1::bigint, ${n}::bigint) g) s`;
}

const PROPOSED_INDEXES = [
  'create index if not exists audit_events_tenant_actor_idx on audit_events (tenant_id, actor_id, occurred_at desc, id desc)',
  'create index if not exists audit_events_tenant_target_idx on audit_events (tenant_id, target_id, occurred_at desc, id desc)',
  'create index if not exists audit_events_time_idx on audit_events (occurred_at desc, id desc)',
];

/** The text q searches, as lib/audit/query.ts writes it (the expression of the trigram index). */
const SEARCH_SQL = `(coalesce(actor_label, '') || E'\\x1f' || coalesce(target_label, '') || E'\\x1f' || coalesce(target_id, '') || E'\\x1f' || action || E'\\x1f' || coalesce(reason, '') || E'\\x1f' || coalesce(ip, ''))`;
/** What q ran before the index: one ilike per column, a scan of the tenant's rows. */
const SCAN_SQL = `(actor_label ilike $2 or target_label ilike $2 or target_id ilike $2 or action ilike $2 or reason ilike $2 or ip ilike $2)`;

type Scenario = { name: string; filter: Record<string, unknown>; where: string; params: unknown[]; cursorFrom?: 'page1' | 'deep' };

async function main() {
  await admin((c) => c.query(`create database ${dbName}`));
  created = true;
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  Object.assign(process.env, { DATABASE_URL: url.toString(), DATA_DIR: dataDir, LOG_LEVEL: 'warn', AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-00' });

  const { dbHandle, closeDb } = await import('../lib/db/client');
  const { listAuditEvents, toAuditView } = await import('../lib/audit/query');
  const { encodePosition: encodeCursor, decodePosition: decodeCursor } = await import('../lib/api/cursor');
  const { exportStream } = await import('../lib/audit/export');
  const { verifyTenantChain } = await import('../lib/audit/verify');
  const { seedAuditEvents } = await import('../lib/testing/audit');
  await dbHandle(); // migrations
  const raw = new pg.Pool({ connectionString: url.toString(), max: 4 });
  raw.on('error', () => {});
  rawPool = raw;
  const result: Record<string, unknown> = { events: EVENTS, tenants: TENANTS, perTenant: PER_TENANT, runs: RUNS, cores: os.cpus().length, loadAvgAtStart: os.loadavg()[0] };

  // ---------------------------------------------------------------------------------------------
  say(`database ${dbName}: writing ${EVENTS.toLocaleString()} events in one tenant and ${TENANTS} × ${PER_TENANT.toLocaleString()} around it…`);
  const big = 'tnt_bench_big';
  const end = Date.now();
  const start = end - 90 * 86_400_000;
  let t = performance.now();
  // The trigram index is built once after the load (a bulk build), not row by row during it.
  const trgmDdl = readFileSync(path.join(benchDir, '..', 'drizzle', '0008_audit_trgm.sql'), 'utf8')
    .split('--> statement-breakpoint')
    .map((x) => x.replace(/^--.*$/gm, '').trim())
    .find((x) => /create index/i.test(x))!;
  await raw.query('drop index if exists audit_events_search_trgm_idx');
  // The other tenants first, so the big tenant's rows do not sit physically apart from them.
  const others: string[] = [];
  for (let i = 0; i < TENANTS; i += 10) {
    const stmts = [];
    for (let j = i; j < Math.min(TENANTS, i + 10); j++) {
      const id = `tnt_bench_${String(j).padStart(3, '0')}`;
      others.push(id);
      stmts.push(raw.query(insertSql(id, `evt_o${String(j).padStart(3, '0')}_`, PER_TENANT, start, end)));
    }
    await Promise.all(stmts.slice(0, 2));
    await Promise.all(stmts.slice(2));
  }
  const chunk = 250_000;
  for (let off = 0; off < EVENTS; off += chunk) {
    const n = Math.min(chunk, EVENTS - off);
    const span = (end - start) / EVENTS;
    // Each chunk is its own slice of time; ids and seqs continue across chunks.
    const sqlText = insertSql(big, 'evt_b', n, Math.round(start + off * span), Math.round(start + (off + n) * span))
      .replace(`'evt_b' || lpad(g::text, 8, '0')`, `'evt_b' || lpad((g + ${off})::text, 8, '0')`)
      .replace(`'${big}', g, '${big}'`, `'${big}', g + ${off}, '${big}'`)
      .replace(`((g * 7919) % 100)::int as r, ((g * 104729) % 20000)::int as u`, `(((g + ${off}) * 7919) % 100)::int as r, (((g + ${off}) * 104729) % 20000)::int as u`);
    await raw.query(sqlText);
    say(`  ${(off + n).toLocaleString()} / ${EVENTS.toLocaleString()} (${Math.round((performance.now() - t) / 1000)} s)`);
  }
  await raw.query(`insert into audit_chains (chain_key, last_seq, last_hash) values ('${big}', ${EVENTS}, 'x')`);
  const loadS = (performance.now() - t) / 1000;
  t = performance.now();
  await raw.query(trgmDdl);
  const trgmS = (performance.now() - t) / 1000;
  const trgmSize = (await raw.query(`select pg_size_pretty(pg_relation_size('audit_events_search_trgm_idx')) s`)).rows[0].s;
  say(`trigram index built in ${trgmS.toFixed(1)} s (${trgmSize})`);
  result.trigramIndex = { seconds: ms(trgmS), size: trgmSize };
  await raw.query('analyze audit_events');
  const total = EVENTS + TENANTS * PER_TENANT;
  const size = (await raw.query(`select pg_size_pretty(pg_total_relation_size('audit_events')) s`)).rows[0].s;
  say(`loaded ${total.toLocaleString()} rows in ${loadS.toFixed(1)} s (${size} with indexes)`);
  result.load = { rows: total, seconds: ms(loadS), size };

  // ---------------------------------------------------------------------------------------------
  // First-page latency
  const cols = `id, tenant_id, occurred_at, action, outcome, actor_type, actor_id, actor_label, target_type, target_id, target_label, ip, user_agent, reason, details`;
  const deep = (await raw.query(`select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') ts, id from audit_events where tenant_id = $1 order by occurred_at desc, id desc offset ${Math.floor(EVENTS / 2)} limit 1`, [big])).rows[0];
  const day = new Date(end - 30 * 86_400_000);
  const dayStart = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  const dayEnd = new Date(dayStart.getTime() + 86_400_000);
  const allScenarios: Scenario[] = [
    { name: 'no filter', filter: {}, where: '', params: [] },
    { name: 'next page (cursor)', filter: {}, where: '', params: [], cursorFrom: 'page1' },
    { name: 'deep page (cursor at 50%)', filter: {}, where: '', params: [], cursorFrom: 'deep' },
    { name: 'action = sso.login_failed (10%)', filter: { action: 'sso.login_failed' }, where: 'and action = $2', params: ['sso.login_failed'] },
    { name: 'action = user.* (prefix, 17%)', filter: { action: 'user.*' }, where: `and action like $2`, params: ['user.%'] },
    { name: 'action = role_mapping.updated (1%)', filter: { action: 'role_mapping.updated' }, where: 'and action = $2', params: ['role_mapping.updated'] },
    { name: 'outcome = failure (16%)', filter: { outcome: 'failure' }, where: 'and outcome = $2', params: ['failure'] },
    { name: 'one day 30 days ago', filter: { since: dayStart, until: dayEnd }, where: 'and occurred_at >= $2 and occurred_at < $3', params: [dayStart.toISOString(), dayEnd.toISOString()] },
    { name: 'q = common text ("user12")', filter: { q: 'user12' }, where: `and ${SEARCH_SQL} ilike $2`, params: ['%user12%'] },
    { name: 'q = rare text ("user4242@")', filter: { q: 'user4242@' }, where: `and ${SEARCH_SQL} ilike $2`, params: ['%user4242@%'] },
    { name: 'actorId (one user, ~0.004%)', filter: { actorId: 'usr_4242' }, where: 'and actor_id = $2', params: ['usr_4242'] },
    { name: 'targetId (one connection, 0.14%)', filter: { targetId: 'con_9' }, where: 'and target_id = $2', params: ['con_9'] },
    { name: 'q = absent text', filter: { q: '203.0.113.99' }, where: `and ${SEARCH_SQL} ilike $2`, params: ['%203.0.113.99%'] },
  ];
  const scenarios = allScenarios.filter((s) => !ONLY || s.name.startsWith(`${ONLY} `));
  const page1 = await listAuditEvents({ tenantId: big }, { limit: 50 });
  const cursorOf = (s: Scenario) =>
    s.cursorFrom === 'page1' ? page1.nextCursor! : s.cursorFrom === 'deep' ? encodeCursor({ ts: deep.ts, id: deep.id }) : undefined;
  type Latency = { filter: string; portalMs: number; sqlMs: number; ratio: number; rows: number; runs: number; meetsTarget: boolean; scanMs?: number };
  const measure = async (list: Scenario[]): Promise<Latency[]> => {
    const latency: Latency[] = [];
    say(`${'filter'.padEnd(38)} ${'portal'.padStart(9)} ${'bare SQL'.padStart(9)} ${'ratio'.padStart(6)}  rows`);
    for (const s of list) {
      const cursor = cursorOf(s);
      let where = s.where;
      const params: unknown[] = [big, ...s.params];
      if (cursor) {
        const p = decodeCursor(cursor);
        params.push(p.ts, p.id);
        where += ` and occurred_at <= $${params.length - 1}::timestamptz and (occurred_at < $${params.length - 1}::timestamptz or id < $${params.length})`;
      }
      const bare = `select ${cols} from audit_events where tenant_id = $1 ${where} order by occurred_at desc, id desc limit 51`;
      const portal = async () => {
        const p = await listAuditEvents({ tenantId: big }, { limit: 50, cursor, ...s.filter });
        return p.data.map(toAuditView).length;
      };
      const sqlRun = async () => (await raw.query(bare, params)).rows.length;
      for (let w = 0; w < 2; w++) {
        await portal();
        await sqlRun();
      }
      const a: number[] = [];
      const b: number[] = [];
      let rows = 0;
      const budget = performance.now() + 12_000;
      for (let i = 0; i < RUNS; i++) {
        let t0 = performance.now();
        rows = await portal();
        a.push(performance.now() - t0);
        t0 = performance.now();
        await sqlRun();
        b.push(performance.now() - t0);
        if (i >= 4 && (a.at(-1)! > 200 || performance.now() > budget)) break;
      }
      const pm = median(a);
      const sm = median(b);
      let scanMs: number | undefined;
      if (s.filter.q !== undefined) {
        // The per-column form the index replaced (bare SQL; a few runs, it scans).
        const scan = `select ${cols} from audit_events where tenant_id = $1 and ${SCAN_SQL} order by occurred_at desc, id desc limit 51`;
        const c: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await raw.query(scan, params);
          c.push(performance.now() - t0);
        }
        scanMs = median(c);
        say(`  (before the index, per-column scan: ${scanMs.toFixed(2)} ms)`);
      }
      const ok = pm < 50 && pm <= 2 * sm;
      latency.push({ filter: s.name, portalMs: ms(pm), sqlMs: ms(sm), ratio: ms(pm / sm), rows, runs: a.length, meetsTarget: ok, ...(scanMs !== undefined ? { scanMs: ms(scanMs) } : {}) });
      say(`${s.name.padEnd(38)} ${pm.toFixed(2).padStart(7)}ms ${sm.toFixed(2).padStart(7)}ms ${(pm / sm).toFixed(2).padStart(6)}  ${String(rows).padStart(3)}${ok ? '' : '  ✗'}`);
    }
    return latency;
  };
  // Operator-wide first page (no tenant): informational, there is no index on occurred_at alone.
  const operatorWide = async () => {
    const a: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await listAuditEvents({ allTenants: true }, { limit: 50 });
      a.push(performance.now() - t0);
    }
    say(`${'operator-wide (all tenants, no filter)'.padEnd(38)} ${median(a).toFixed(2).padStart(7)}ms  (median of 5; informational)`);
    return ms(median(a));
  };
  say(`\nfirst page (limit 50) — median of ${RUNS} runs (fewer when a run takes > 200 ms)`);
  const latency = await measure(scenarios);
  result.firstPage = latency;
  if (!ONLY) result.operatorWideFirstPageMs = await operatorWide();

  // ---------------------------------------------------------------------------------------------
  // Export throughput
  if (!ONLY) say('\nexport (streamed, oldest first)');
  const exports: Record<string, unknown>[] = [];
  for (const [format, filter, label] of (ONLY ? [] : [
    ['csv', {}, `all ${EVENTS.toLocaleString()} events`],
    ['ndjson', { since: new Date(end - 30 * 86_400_000) }, 'last 30 days'],
  ] as const)) {
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const t0 = performance.now();
    const reader = exportStream(big, filter, format).getReader();
    let bytes = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
    }
    const s = (performance.now() - t0) / 1000;
    clearInterval(timer);
    const rows = format === 'csv' ? lines - 1 : lines; // header; no newline inside these CSV cells
    const rps = rows / s;
    exports.push({ format, label, rows, seconds: ms(s), rowsPerSec: Math.round(rps), mbPerSec: ms(bytes / 1e6 / s), rssStartMb: Math.round(rss0 / 1e6), rssPeakMb: Math.round(peak / 1e6), meetsTarget: rps > 50_000 });
    say(`  ${format.padEnd(6)} ${label.padEnd(22)} ${rows.toLocaleString().padStart(10)} rows in ${s.toFixed(1)} s = ${Math.round(rps).toLocaleString()} rows/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s; RSS ${Math.round(rss0 / 1e6)} → peak ${Math.round(peak / 1e6)} MB${rps > 50_000 ? '' : '  ✗'}`);
  }
  result.export = exports;

  // ---------------------------------------------------------------------------------------------
  // Verification throughput on a real chain
  if (VERIFY_EVENTS > 0 && !ONLY) {
    const chain = 'tnt_bench_chain';
    t = performance.now();
    for (let off = 0; off < VERIFY_EVENTS; off += 10_000) {
      await seedAuditEvents(
        chain,
        Array.from({ length: Math.min(10_000, VERIFY_EVENTS - off) }, (_, i) => ({
          occurredAt: new Date(start + (off + i) * 1000),
          action: 'sso.login_succeeded',
          actorType: 'user',
          actorId: `usr_${(off + i) % 500}`,
          actorLabel: `user${(off + i) % 500}@chain.example.com`,
          ip: '10.0.0.1',
          details: { connectionId: 'con_1', roles: ['member'] },
        })),
        1000,
      );
    }
    const seedS = (performance.now() - t) / 1000;
    t = performance.now();
    const v = await verifyTenantChain(chain);
    const s = (performance.now() - t) / 1000;
    result.verify = { events: v.checked, intact: v.intact, seconds: ms(s), eventsPerSec: Math.round(v.checked / s) };
    say(`\nverify: ${v.checked.toLocaleString()} events (${v.intact ? 'intact' : 'BROKEN'}) in ${s.toFixed(2)} s = ${Math.round(v.checked / s).toLocaleString()} events/s (seeded in ${seedS.toFixed(1)} s)`);
  }

  // Indexes this code would want for the filters the time index cannot serve (not in the schema:
  // measured here on the throwaway database only, for whoever owns migrations).
  if (process.argv.includes('--proposed-indexes')) {
    say('\nwith the proposed indexes (this database only):');
    t = performance.now();
    for (const ddl of PROPOSED_INDEXES) await raw.query(ddl);
    await raw.query('analyze audit_events');
    say(`  created in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const slow = scenarios.filter((s) => !latency.find((l) => l.filter === s.name)?.meetsTarget);
    result.withProposedIndexes = { indexes: PROPOSED_INDEXES, firstPage: await measure(slow), operatorWideFirstPageMs: await operatorWide() };
  }

  const lat = latency as { meetsTarget: boolean; filter: string }[];
  result.targets = {
    firstPageUnder50msAndWithin2xOfSql: lat.filter((l) => !l.meetsTarget).map((l) => l.filter),
    exportOver50kRowsPerSec: ONLY ? null : (exports as { meetsTarget: boolean }[]).every((e) => e.meetsTarget),
  };
  await raw.end();
  rawPool = null;
  await closeDb();
  return result;
}

const t0 = performance.now();
main()
  .then(async (result) => {
    result.totalSeconds = ms((performance.now() - t0) / 1000);
    result.loadAvgAtEnd = os.loadavg()[0];
    result.at = new Date().toISOString();
    mkdirSync(path.join(benchDir, 'results'), { recursive: true });
    writeFileSync(path.join(benchDir, 'results', ONLY ? `audit-${ONLY}-latest.json` : 'audit-latest.json'), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(`BENCH_RESULT ${JSON.stringify(result)}\n`);
    say(`\ndone in ${(result.totalSeconds as number).toFixed(0)} s; written to bench/results/${ONLY ? `audit-${ONLY}-latest.json` : 'audit-latest.json'}${KEEP ? `; database ${dbName} kept` : ''}`);
    await cleanup();
    process.exit(0);
  })
  .catch(async (err) => {
    say(String(err?.stack ?? err));
    await cleanup();
    process.exit(1);
  });
