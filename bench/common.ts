/**
 * Shared by the bench children (bench/signin.ts, bench/baseline.ts, bench/oidc.ts): a closed-loop load driver,
 * percentiles, and a little /proc accounting. Nothing here asserts; it only measures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as oc from 'openid-client';

/** Milliseconds spent in each step of one flow (names are the caller's). */
export type Phases = Record<string, number>;

/** What one flow reports: wall time, this process's CPU time and PostgreSQL statements, per step. */
export type FlowTiming = { wall: Phases; cpu: Phases; stmts: Phases };

/** Statements counted so far by countPgQueries (0 when not counting). */
export const pgStatementsSoFar = () => (globalThis as unknown as { __benchPgQueries?: number }).__benchPgQueries ?? 0;

/**
 * Times the steps of one flow: `lap('name')` closes the step that began at the previous lap.
 * CPU per step is process-wide, so it is only attributable to the step when one flow runs at a
 * time (concurrency 1); run.ts shows it for that level only.
 */
export class Stopwatch {
  private wallAt = performance.now();
  private cpuAt = process.cpuUsage();
  private stmtsAt = pgStatementsSoFar();
  readonly timing: FlowTiming = { wall: {}, cpu: {}, stmts: {} };

  lap(step: string) {
    const w = performance.now();
    const c = process.cpuUsage();
    const q = pgStatementsSoFar();
    this.timing.wall[step] = w - this.wallAt;
    this.timing.cpu[step] = (c.user - this.cpuAt.user + c.system - this.cpuAt.system) / 1000;
    this.timing.stmts[step] = q - this.stmtsAt;
    this.wallAt = w;
    this.cpuAt = c;
    this.stmtsAt = q;
  }
}

export type LevelResult = {
  variant: string;
  concurrency: number;
  /** Flows that completed successfully inside the measurement window. */
  flows: number;
  errors: number;
  errorSamples: string[];
  windowMs: number;
  flowsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Mean time per flow in each step (wall clock, so it includes waiting for the event loop). */
  phasesMeanMs: Phases;
  /** Mean CPU of this process per flow in each step; attributable only at concurrency 1. */
  phasesCpuMeanMs: Phases;
  /** Mean PostgreSQL statements per flow in each step; attributable only at concurrency 1. */
  phasesStatementsMean: Phases;
  /** CPU time of this process per completed flow (user+system), over the window. */
  cpuMsPerFlow: number;
  /** CPU time of the local PostgreSQL backends of the bench's database per completed flow (null: not measured). */
  pgServerCpuMsPerFlow: number | null;
  /** Statements sent to PostgreSQL per completed flow, over the window (null: not counted, e.g. PGlite). */
  pgStatementsPerFlow: number | null;
  /** Mean number of the database's client backends per state / wait event during the window (PostgreSQL only). */
  pgActivity: Record<string, number> | null;
  /** Share of the window this process's event loop was busy (0..1). */
  eventLoopUtilization: number;
  /**
   * CPU cores busy with anything else during the window (whole machine from /proc/stat, minus this
   * process, minus the PostgreSQL server when the flow uses it). Near 0 on a quiet machine; a
   * large value means the figures of this level were disturbed by other work.
   */
  otherLoadCores: number | null;
  /** The measurement window on the monotonic clock V8 CPU profiles use (µs), for bench/profile-summary.ts. */
  window: { startUs: number; endUs: number };
};

export type LoadOptions = {
  warmupMs: number;
  durationMs: number;
  /** The flow's PostgreSQL database (URL): its backends' CPU is accounted and pg_stat_activity sampled. */
  postgresUrl?: string;
};

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const round = (n: number, d = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** d) / 10 ** d : n);

const CLK_TCK = 100; // jiffies per second on Linux (USER_HZ)

/** Busy and total jiffies of the whole machine (first line of /proc/stat), or null. */
function machineJiffies(): { busy: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    return { busy: total - f[3] - f[4], total };
  } catch {
    return null;
  }
}

/**
 * CPU time (ms, utime+stime) of each local PostgreSQL backend serving `database` (matched on the
 * process title, "postgres: 15/main: user <database> host(port) state"), by pid; null when /proc
 * shows no PostgreSQL processes (e.g. a remote server).
 */
export function postgresCpuByPid(database: string): Map<string, number> | null {
  const out = new Map<string, number>();
  let sawPostgres = false;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue;
      sawPostgres = true;
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!title.includes(` ${database} `)) continue;
      const fields = stat.slice(close + 2).split(' '); // fields[0] is field 3 (state): utime is field 14, stime 15
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK);
    } catch {
      /* the process went away */
    }
  }
  return sawPostgres ? out : null;
}

/** CPU (ms) the backends of `database` used between two snapshots (backends that exited in between are missed). */
function postgresCpuDelta(before: Map<string, number> | null, after: Map<string, number> | null): number | null {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, v] of after) ms += v - (before.get(pid) ?? 0);
  return ms;
}

/**
 * Samples pg_stat_activity of one database every `everyMs` on a connection of its own: the mean
 * number of client backends in each state / wait event ("active", "idle in transaction",
 * "active Lock:transactionid", …) over the window. Shows whether sign-ins wait on locks, on the
 * pool, or on the Node event loop (a backend "idle in transaction" is waiting for the app).
 */
export async function pgActivitySampler(url: string, everyMs = 100): Promise<{ stop: () => Promise<Record<string, number>> }> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url, application_name: 'bench-sampler' });
  (client as unknown as { __benchSampler: boolean }).__benchSampler = true; // not counted by countPgQueries
  await client.connect();
  const sums = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const r = await client.query<{ k: string; n: number }>(
        `select concat_ws(' ', state, wait_event_type || ':' || wait_event) as k, count(*)::int as n
         from pg_stat_activity
         where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
         group by 1`,
      );
      samples++;
      for (const row of r.rows) sums.set(row.k, (sums.get(row.k) ?? 0) + row.n);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop.catch(() => {});
      await client.end().catch(() => {});
      const out: Record<string, number> = {};
      for (const [k, v] of [...sums.entries()].sort((x, y) => y[1] - x[1])) out[k] = round(v / Math.max(1, samples));
      return out;
    },
  };
}

const pgCounter = globalThis as unknown as { __benchPgQueries?: number };

/**
 * Counts every statement sent through the `pg` driver in this process (the portal's pool and
 * typeorm both use it), to report round trips per flow. Call before the driver is used.
 */
export async function countPgQueries(): Promise<void> {
  const pg = (await import('pg')).default;
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown; __benchCounted?: boolean };
  if (proto.__benchCounted) return;
  const original = proto.query;
  pgCounter.__benchPgQueries = 0;
  proto.query = function (this: { __benchSampler?: boolean }, ...a: unknown[]) {
    if (!this.__benchSampler) pgCounter.__benchPgQueries!++;
    return original.apply(this, a);
  };
  proto.__benchCounted = true;
}

/**
 * Closed-loop load: `concurrency` async workers each run `flow` back to back. Flows completing in
 * the measurement window [warm-up end, warm-up end + duration] are counted; throughput is those
 * completions over the window, latency their start→end time. Workers start no new flow after the
 * window; in-flight flows are awaited (not counted) before returning, so levels do not overlap.
 */
export async function runLevel(
  variant: string,
  concurrency: number,
  opts: LoadOptions,
  flow: (worker: number) => Promise<FlowTiming>,
): Promise<LevelResult> {
  const t0 = performance.now();
  const windowStart = t0 + opts.warmupMs;
  const windowEnd = windowStart + opts.durationMs;
  const latencies: number[] = [];
  const phaseSums: Phases = {};
  const cpuSums: Phases = {};
  const stmtSums: Phases = {};
  const errorSamples: string[] = [];
  let errors = 0;
  let cpuAtStart: NodeJS.CpuUsage | null = null;
  let pgAtStart: Map<string, number> | null = null;
  let eluAtStart: ReturnType<typeof performance.eventLoopUtilization> | null = null;
  let cpu: NodeJS.CpuUsage | null = null;
  let pgCpu: number | null = null;
  let elu: ReturnType<typeof performance.eventLoopUtilization> | null = null;
  let machineAtStart: ReturnType<typeof machineJiffies> = null;
  let machineBusyMs: number | null = null;
  let queriesAtStart: number | null = null;
  let queries: number | null = null;
  const monoUs = () => Number(process.hrtime.bigint() / 1000n);
  const window = { startUs: NaN, endUs: NaN };

  const database = opts.postgresUrl ? decodeURIComponent(new URL(opts.postgresUrl).pathname.slice(1)) : null;
  let sampler: Promise<{ stop: () => Promise<Record<string, number>> }> | null = null;
  const startTimer = setTimeout(() => {
    if (opts.postgresUrl) sampler = pgActivitySampler(opts.postgresUrl);
    cpuAtStart = process.cpuUsage();
    pgAtStart = database ? postgresCpuByPid(database) : null;
    eluAtStart = performance.eventLoopUtilization();
    machineAtStart = machineJiffies();
    queriesAtStart = pgCounter.__benchPgQueries ?? null;
    window.startUs = monoUs();
  }, opts.warmupMs);
  const endTimer = setTimeout(() => {
    cpu = process.cpuUsage(cpuAtStart ?? undefined);
    pgCpu = database ? postgresCpuDelta(pgAtStart, postgresCpuByPid(database)) : null;
    elu = performance.eventLoopUtilization(eluAtStart ?? undefined);
    const now = machineJiffies();
    machineBusyMs = now && machineAtStart ? ((now.busy - machineAtStart.busy) * 1000) / CLK_TCK : null;
    queries = queriesAtStart === null ? null : pgCounter.__benchPgQueries! - queriesAtStart;
    window.endUs = monoUs();
  }, opts.warmupMs + opts.durationMs);

  async function worker(w: number) {
    while (performance.now() < windowEnd) {
      const s = performance.now();
      try {
        const timing = await flow(w);
        const e = performance.now();
        if (e >= windowStart && e <= windowEnd) {
          latencies.push(e - s);
          for (const [k, v] of Object.entries(timing.wall)) phaseSums[k] = (phaseSums[k] ?? 0) + v;
          for (const [k, v] of Object.entries(timing.cpu)) cpuSums[k] = (cpuSums[k] ?? 0) + v;
          for (const [k, v] of Object.entries(timing.stmts)) stmtSums[k] = (stmtSums[k] ?? 0) + v;
        }
      } catch (err) {
        const e = performance.now();
        if (e >= windowStart && e <= windowEnd) errors++;
        if (errorSamples.length < 5) errorSamples.push(String((err as Error)?.message ?? err).slice(0, 300));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  const activity = sampler ? await (await (sampler as Promise<{ stop: () => Promise<Record<string, number>> }>)).stop() : null;

  const sorted = [...latencies].sort((a, b) => a - b);
  const n = sorted.length;
  const phasesMeanMs: Phases = {};
  for (const [k, v] of Object.entries(phaseSums)) phasesMeanMs[k] = round(v / Math.max(1, n));
  const phasesCpuMeanMs: Phases = {};
  for (const [k, v] of Object.entries(cpuSums)) phasesCpuMeanMs[k] = round(v / Math.max(1, n));
  const phasesStatementsMean: Phases = {};
  for (const [k, v] of Object.entries(stmtSums)) phasesStatementsMean[k] = round(v / Math.max(1, n), 1);
  const usage = cpu as NodeJS.CpuUsage | null;
  const cpuMs = usage ? (usage.user + usage.system) / 1000 : NaN;
  const loop = elu as ReturnType<typeof performance.eventLoopUtilization> | null;
  const pg = pgCpu as number | null;
  const busy = machineBusyMs as number | null;
  const other = busy === null ? null : (busy - cpuMs - (pg ?? 0)) / opts.durationMs;
  return {
    variant,
    concurrency,
    flows: n,
    errors,
    errorSamples,
    windowMs: opts.durationMs,
    flowsPerSec: round(n / (opts.durationMs / 1000)),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    meanMs: round(n ? sorted.reduce((a, b) => a + b, 0) / n : NaN),
    maxMs: round(n ? sorted[n - 1] : NaN),
    phasesMeanMs,
    phasesCpuMeanMs,
    phasesStatementsMean,
    cpuMsPerFlow: round(cpuMs / Math.max(1, n)),
    pgServerCpuMsPerFlow: pg === null ? null : round(pg / Math.max(1, n)),
    pgActivity: activity,
    pgStatementsPerFlow: (queries as number | null) === null ? null : round((queries as unknown as number) / Math.max(1, n), 1),
    eventLoopUtilization: round(loop?.utilization ?? NaN, 3),
    otherLoadCores: other === null ? null : round(Math.max(0, other)),
    window,
  };
}

/** `--name=value` from argv, or the fallback. */
export function arg(name: string, fallback?: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
}

export function loadOptionsFromArgs(): { levels: number[]; opts: LoadOptions } {
  return {
    levels: (arg('levels', '1,10,50') ?? '1,10,50').split(',').map(Number),
    opts: { warmupMs: Number(arg('warmup-ms', '2000')), durationMs: Number(arg('duration-ms', '8000')) },
  };
}

/** In standalone mode the child's result goes to stdout on one line with this prefix. */
export const RESULT_PREFIX = 'BENCH_RESULT ';

/** Messages between bench/run.ts and a child (over the IPC channel). */
export type ToChild = { type: 'run'; variant: string; concurrency: number } | { type: 'finish' };
export type FromChild =
  | { type: 'ready'; variants: string[] }
  | { type: 'level'; result: LevelResult }
  | { type: 'done'; result: ChildResult }
  | { type: 'error'; message: string };

export type ChildResult = {
  kind: 'portal' | 'baseline';
  storage: string;
  levels: LevelResult[];
  /** Anything else worth keeping (rows written, library errors…). */
  extra: Record<string, unknown>;
};

export type Bench = {
  kind: ChildResult['kind'];
  storage: string;
  /** Variant name → runs one level of it at the given concurrency. Run in the order given. */
  variants: Record<string, (concurrency: number) => Promise<LevelResult>>;
  finish: () => Promise<Record<string, unknown>>;
};

/**
 * Runs a prepared bench. Under bench/run.ts (an IPC channel exists) it waits for orders, so the
 * parent can interleave the baseline and the portal level by level (the compared figures are
 * then taken minutes apart at most, under the same machine conditions). Alone, it runs every
 * variant at every level and prints the result as one BENCH_RESULT line.
 */
export async function serve(b: Bench, levels: number[]): Promise<never> {
  const levelsDone: LevelResult[] = [];
  const result = async (): Promise<ChildResult> => ({ kind: b.kind, storage: b.storage, levels: levelsDone, extra: await b.finish() });
  const send = process.send?.bind(process);
  if (!send) {
    for (const [, run] of Object.entries(b.variants)) for (const c of levels) levelsDone.push(await run(c));
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(await result())}\n`);
    process.exit(0);
  }
  const reply = (m: FromChild) => new Promise<void>((resolve) => send(m, undefined, {}, () => resolve()));
  return new Promise<never>(() => {
    let queue = Promise.resolve();
    process.on('message', (m: ToChild) => {
      queue = queue.then(async () => {
        try {
          if (m.type === 'run') {
            const run = b.variants[m.variant];
            if (!run) throw new Error(`unknown variant ${m.variant}`);
            const r = await run(m.concurrency);
            levelsDone.push(r);
            await reply({ type: 'level', result: r });
          } else if (m.type === 'finish') {
            await reply({ type: 'done', result: await result() });
            process.exit(0);
          }
        } catch (e) {
          await reply({ type: 'error', message: String((e as Error)?.stack ?? e) });
          process.exit(1);
        }
      });
    });
    void reply({ type: 'ready', variants: Object.keys(b.variants) });
  });
}

/** Progress lines go to stderr with this prefix; run.ts shows them while the child runs. */
export const PROGRESS_PREFIX = '[bench] ';

export function progress(msg: string) {
  process.stderr.write(`${PROGRESS_PREFIX}${msg}\n`);
}

/** The attributes every simulated IdP user gets (same for baseline and portal). */
export function userAttributes(email: string) {
  return { email, firstName: 'Ada', lastName: 'Lovelace', groups: ['Everyone', 'Engineering'] };
}

/** An authorization request with PKCE (S256), state and nonce, and the checks that redeeming its code needs. */
export async function codeRequest(config: oc.Configuration, params: Record<string, string>) {
  const verifier = oc.randomPKCECodeVerifier();
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, { ...params, state, nonce, code_challenge: await oc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  return { url, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
}
