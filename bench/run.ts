/**
 * `npm run bench`: sign-in throughput of the portal (PGlite and PostgreSQL) against the bare SSO
 * library on its own typeorm PostgreSQL engine, measured in the same run. See bench/README.md.
 *
 * Options (after `npm run bench --`):
 *   --quick                 1 s warm-up, 3 s per level (a smoke run; figures are noisy)
 *   --warmup-ms=N --duration-ms=N --levels=1,10,50
 *   --only=baseline,pglite,postgres
 *   --returning=false       skip the returning-users variant
 *   --profile               write V8 CPU profiles of each child to bench/results/profiles/<child>/ and summarise them
 *   --wait-quiet            before each level, wait (up to 15 s) for the machine to be quiet (a shared machine)
 *
 * PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test) names a database to
 * connect to; fresh databases are created next to it and dropped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { arg, PROGRESS_PREFIX, type ChildResult, type FromChild, type LevelResult, type ToChild } from './common';
import { printSummary, summarize } from './profile-summary';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const resultsDir = path.join(benchDir, 'results');
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quick = process.argv.includes('--quick');
const profile = process.argv.includes('--profile');
const warmupMs = Number(arg('warmup-ms', quick ? '1000' : '2000'));
const durationMs = Number(arg('duration-ms', quick ? '3000' : '8000'));
const levels = arg('levels', '1,10,50')!;
const only = new Set((arg('only', 'baseline,pglite,postgres') ?? '').split(','));
const returning = arg('returning', 'true')!;

const waitForQuiet = process.argv.includes('--wait-quiet');
const QUIET = { thresholdCores: 0.3, maxWaitMs: 15_000, disturbedCores: 0.3 };

const loadArgs = [`--levels=${levels}`, `--warmup-ms=${warmupMs}`, `--duration-ms=${durationMs}`];
/**
 * Issue 17's target: at 50 concurrent, the portal on PostgreSQL at least 1.5× the bare library's
 * flows/s with a lower p99; on embedded PGlite (in the same process as everything else) at least 1.0×.
 */
const TARGET = { concurrency: 50, flowsRatio: { postgres: 1.5, pglite: 1.0 } as Record<string, number> };

// ---------------------------------------------------------------------------------------------
// Fresh databases and directories, removed afterwards (also on Ctrl-C)
// ---------------------------------------------------------------------------------------------

const createdDbs: string[] = [];
const tempDirs: string[] = [];

function dbUrl(name: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function freshDatabase(label: string): Promise<string> {
  const name = `bench_${label}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database ${name}`));
  createdDbs.push(name);
  return dbUrl(name);
}

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-'));
  tempDirs.push(d);
  return d;
}

async function cleanup() {
  for (const name of createdDbs.splice(0)) {
    await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch((e) =>
      console.error(`could not drop database ${name}: ${(e as Error).message}`),
    );
  }
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  console.error('\ninterrupted; cleaning up');
  for (const c of children) c.proc.kill('SIGTERM');
  void cleanup().finally(() => process.exit(130));
});

// ---------------------------------------------------------------------------------------------
// Children: started together, then driven level by level over IPC (see serve() in common.ts)
// ---------------------------------------------------------------------------------------------

class Child {
  readonly proc: ChildProcess;
  private inbox: FromChild[] = [];
  private waiting: ((m: FromChild) => void) | null = null;
  private stderrTail = '';
  exited: string | null = null;
  failed: string | null = null;
  variants: string[] = [];
  levels: LevelResult[] = [];

  constructor(readonly label: string, script: string, args: string[]) {
    const nodeArgs = ['--conditions=react-server', '--import', 'tsx'];
    if (profile) {
      // One directory per child: with `--import tsx` the loader thread writes a profile of its own.
      const dir = path.join(resultsDir, 'profiles', label);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
    }
    this.proc = spawn(process.execPath, [...nodeArgs, path.join(benchDir, script), ...args, ...loadArgs], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    });
    children.add(this);
    this.proc.stdout!.on('data', () => {}); // the library and drivers may print; not ours to show
    this.proc.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      // progress lines carry a prefix; anything else is kept for an error message
      for (const line of s.split('\n')) {
        if (line.startsWith(PROGRESS_PREFIX)) console.log(`  ${line.slice(PROGRESS_PREFIX.length)}`);
        else if (line.trim()) this.stderrTail = (this.stderrTail + line + '\n').slice(-3000);
      }
    });
    this.proc.on('message', (m: FromChild) => this.deliver(m));
    this.proc.on('exit', (code, signal) => {
      children.delete(this);
      this.exited = `exited with ${signal ?? code}`;
      this.deliver({ type: 'error', message: `${this.label} ${this.exited}\n${this.stderrTail}` });
    });
  }

  private deliver(m: FromChild) {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(m);
    } else this.inbox.push(m);
  }

  private next(): Promise<FromChild> {
    const m = this.inbox.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The main thread's CPU profile (thread id 0), once the child has exited. */
  profileFile(): string | null {
    const dir = path.join(resultsDir, 'profiles', this.label);
    const f = readdirSync(dir).find((n) => n.includes(`.${this.proc.pid}.0.`) && n.endsWith('.cpuprofile'));
    return f ? path.join(dir, f) : null;
  }

  exitedPromise(): Promise<void> {
    return this.exited ? Promise.resolve() : new Promise((resolve) => this.proc.once('exit', () => resolve()));
  }

  /** Sends an order (if any) and returns the next reply; an error reply marks the child failed. */
  async ask(order?: ToChild): Promise<FromChild> {
    if (this.failed) return { type: 'error', message: this.failed };
    if (order) this.proc.send(order);
    const m = await this.next();
    if (m.type === 'error') {
      this.failed = m.message;
      console.error(`  ${this.label} FAILED: ${m.message.split('\n').slice(0, 8).join('\n')}`);
    }
    return m;
  }
}

const children = new Set<Child>();

/** Cores busy on the whole machine over `ms` (from /proc/stat), or null. */
async function machineBusyCores(ms: number): Promise<number | null> {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
      return { busy: f.reduce((a, b) => a + b, 0) - f[3] - f[4], at: Date.now() };
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return a && b ? (b.busy - a.busy) / 100 / ((b.at - a.at) / 1000) : null; // jiffies are 1/100 s
}

/**
 * Before a level, with every bench process idle: waits (up to QUIET.maxWaitMs) until the machine
 * is quiet, so other work (tests, builds) disturbs as few levels as possible. Returns the seconds waited.
 */
async function untilQuiet(): Promise<number> {
  if (!waitForQuiet) return 0;
  const t0 = Date.now();
  while (Date.now() - t0 < QUIET.maxWaitMs) {
    const busy = await machineBusyCores(1000);
    if (busy === null || busy < QUIET.thresholdCores) break;
  }
  return Math.round((Date.now() - t0) / 1000);
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const fmt = (n: number | null | undefined, d = 1) => (n == null || !Number.isFinite(n) ? '—' : n.toFixed(d));
const ratio = (a: number, b: number | undefined) => (b && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);

function table(headers: string[], rows: string[][], rightFrom = 2): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const cell = (s: string, i: number) => (i >= rightFrom ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (r: string[]) => r.map(cell).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function machine() {
  const cpus = os.cpus();
  let pgVersion = 'unknown';
  try {
    pgVersion = await admin(async (c) => ((await c.query('show server_version')).rows[0] as { server_version: string }).server_version);
  } catch {
    /* reported as unknown */
  }
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    postgres: pgVersion,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function main() {
  const started = new Date();
  const m = await machine();
  console.log(`Sign-in throughput bench — ${m.cores} cores (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}, ${m.platform}, PostgreSQL ${m.postgres} on ${new URL(adminUrl).host}`);
  console.log(`Closed loop: c workers run complete flows back to back; ${warmupMs / 1000} s warm-up, then ${durationMs / 1000} s measured per level; levels ${levels}.`);
  console.log('The test IdP (e2e/idp/saml-idp.ts: parse AuthnRequest, build and RSA-SHA256-sign the Response) runs in the same process');
  console.log('for both the baseline and the portal, so its CPU is included in every flow on both sides.\n');

  const results: ChildResult[] = [];
  const failures: { label: string; error: string }[] = [];
  const profiles: { label: string; file: string; windows: LevelResult['window'][] }[] = [];
  try {
    const procs: Child[] = [];
    if (only.has('baseline')) procs.push(new Child('baseline', 'baseline.ts', [`--database-url=${await freshDatabase('baseline')}`]));
    if (only.has('pglite')) procs.push(new Child('pglite', 'signin.ts', ['--storage=pglite', `--data-dir=${tempDir()}`, `--returning=${returning}`]));
    if (only.has('postgres')) {
      const url = await freshDatabase('portal');
      procs.push(new Child('postgres', 'signin.ts', ['--storage=postgres', `--data-dir=${tempDir()}`, `--database-url=${url}`, `--returning=${returning}`]));
    }
    console.log('Setting up (baseline and portal processes start together)…');
    for (const c of procs) {
      const msg = await c.ask();
      if (msg.type === 'ready') c.variants = msg.variants;
    }
    // Round by round: at each concurrency the baseline, then the portal on each storage, back to back.
    const order = ['library', 'new', 'returning'];
    for (const concurrency of levels.split(',').map(Number)) {
      console.log(`concurrency ${concurrency}:`);
      for (const variant of order) {
        for (const c of procs) {
          if (c.failed || !c.variants.includes(variant)) continue;
          const waited = await untilQuiet();
          if (waited > 1) console.log(`  (waited ${waited} s for other work on the machine to calm down)`);
          const msg = await c.ask({ type: 'run', variant, concurrency });
          if (msg.type === 'level') c.levels.push(msg.result);
        }
      }
    }
    for (const c of procs) {
      const msg = await c.ask({ type: 'finish' });
      if (msg.type === 'done') results.push({ ...msg.result, levels: c.levels });
      else {
        failures.push({ label: c.label, error: msg.type === 'error' ? msg.message : 'no result' });
        // what it measured before failing is still reported
        if (c.levels.length) results.push({ kind: c.label === 'baseline' ? 'baseline' : 'portal', storage: c.label, levels: c.levels, extra: { failed: true } });
      }
    }
    if (profile) {
      for (const c of procs) {
        await c.exitedPromise();
        const file = c.profileFile();
        if (file) profiles.push({ label: c.label, file, windows: c.levels.map((l) => l.window) });
      }
    }
  } finally {
    for (const c of children) c.proc.kill('SIGTERM');
    await cleanup();
  }

  const baseline = results.find((r) => r.kind === 'baseline');
  const baseAt = (c: number) => baseline?.levels.find((l) => l.concurrency === c);
  const rows: string[][] = [];
  const comparisons: Record<string, unknown>[] = [];
  for (const r of results) {
    const storage = r.kind === 'baseline' ? 'baseline: library alone (typeorm/PostgreSQL)' : `portal on ${r.storage === 'pglite' ? 'PGlite (embedded)' : 'PostgreSQL'}`;
    const byVariant = [...r.levels].sort((a, b) => a.variant.localeCompare(b.variant) || a.concurrency - b.concurrency);
    for (const l of byVariant) {
      const b = baseAt(l.concurrency);
      const fr = ratio(l.flowsPerSec, b?.flowsPerSec);
      const pr = ratio(l.p99Ms, b?.p99Ms);
      rows.push([
        storage,
        r.kind === 'baseline' ? '—' : l.variant.startsWith('new') ? 'new (JIT create)' : 'returning (update)',
        String(l.concurrency),
        fmt(l.flowsPerSec),
        fmt(l.p50Ms, 0),
        fmt(l.p99Ms, 0),
        Number.isFinite(fr) ? `${fmt(fr, 2)}×` : '—',
        Number.isFinite(pr) ? `${fmt(pr, 2)}×` : '—',
        fmt(l.cpuMsPerFlow, 1),
        fmt(l.pgServerCpuMsPerFlow, 1),
        `${fmt(l.otherLoadCores, 2)}${(l.otherLoadCores ?? 0) > QUIET.disturbedCores ? ' !' : ''}`,
        String(l.errors),
      ]);
      if (r.kind === 'portal') comparisons.push({ storage: r.storage, variant: l.variant, concurrency: l.concurrency, flowsRatio: fr, p99Ratio: pr });
    }
  }

  console.log('\nComplete SP-initiated sign-ins (start → IdP response → ACS → callback/session; portal rows include JIT upsert + audit)\n');
  console.log(
    table(
      ['storage', 'users', 'conc', 'flows/s', 'p50 ms', 'p99 ms', 'flows/s vs base', 'p99 vs base', 'cpu ms/flow', 'pg cpu ms/flow', 'other load', 'errors'],
      rows,
    ),
  );
  console.log(
    '\nflows/s vs base = flows/s ÷ baseline flows/s at the same concurrency (higher is better); p99 vs base = p99 ÷ baseline p99 (below 1 is better).' +
      '\ncpu ms/flow = CPU of the bench process (app + library + test IdP) per flow; pg cpu ms/flow = CPU of the local PostgreSQL server per flow (— for PGlite, which runs inside the process).' +
      `\nother load = cores busy with other work on this machine during the window (of ${os.cpus().length}); "!" marks rows above ${QUIET.disturbedCores}, whose figures were disturbed.`,
  );

  // Where the time goes: mean wall time per step (includes waiting for the event loop and the pool);
  // at concurrency 1 also the process's CPU per step, which only there belongs to that step.
  const stmtsOf = (l: LevelResult, k: string) => (l.pgStatementsPerFlow != null && l.phasesStatementsMean?.[k] != null ? `, ${fmt(l.phasesStatementsMean[k], 1)} st` : '');
  console.log('\nPer step, mean per flow: wall ms (includes queueing); at c=1 also [CPU ms of the bench process, PostgreSQL statements]:');
  for (const r of results) {
    for (const l of [...r.levels].sort((a, b) => a.variant.localeCompare(b.variant) || a.concurrency - b.concurrency)) {
      let steps = Object.entries(l.phasesMeanMs)
        .filter(([k]) => k !== 'tx')
        .map(([k, v]) => `${k} ${fmt(v, 1)}${l.concurrency === 1 && l.phasesCpuMeanMs?.[k] != null ? ` [${fmt(l.phasesCpuMeanMs[k], 1)}${stmtsOf(l, k)}]` : ''}`)
        .join(', ');
      if (l.phasesMeanMs.tx != null) steps += `; of which in DB transactions ${fmt(l.phasesMeanMs.tx, 1)}`;
      if (l.concurrency === 1) {
        const lib = Object.entries(l.phasesCpuMeanMs ?? {}).filter(([k]) => k.startsWith('library.'));
        if (lib.length) steps += `; of which in the SSO library's calls: ${lib.map(([k, v]) => `${k.slice(8)} [${fmt(v, 1)}${stmtsOf(l, k)}]`).join(', ')}`;
      }
      console.log(`  ${(r.kind === 'baseline' ? 'baseline' : `${r.storage} ${l.variant.split(' ')[0]}`).padEnd(18)} c=${String(l.concurrency).padEnd(3)} ${steps}`);
    }
  }
  const withActivity = results.flatMap((r) => r.levels.filter((l) => l.pgActivity && Object.keys(l.pgActivity).length).map((l) => ({ r, l })));
  if (withActivity.length) {
    console.log('\nPostgreSQL: statements sent per flow; the database\'s backends, mean count by state + wait event (pg_stat_activity every 100 ms):');
    for (const { r, l } of withActivity) {
      const states = Object.entries(l.pgActivity!).slice(0, 5).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ');
      const stmts = l.pgStatementsPerFlow != null ? `${fmt(l.pgStatementsPerFlow, 1)} statements/flow; ` : '';
      console.log(`  ${(r.kind === 'baseline' ? 'baseline' : `${r.storage} ${l.variant.split(' ')[0]}`).padEnd(18)} c=${String(l.concurrency).padEnd(3)} ${stmts}${states}`);
    }
  }

  // The target, reported (not asserted).
  const b50 = baseAt(TARGET.concurrency);
  const verdicts: Record<string, unknown>[] = [];
  if (b50) {
    console.log(
      `\nTarget: portal at ${TARGET.concurrency} concurrent ≥ ${TARGET.flowsRatio.postgres}× baseline flows/s on PostgreSQL (${fmt(b50.flowsPerSec)} → ≥ ${fmt(b50.flowsPerSec * TARGET.flowsRatio.postgres)}) with a p99 below the baseline's (${fmt(b50.p99Ms, 0)} ms); ≥ ${TARGET.flowsRatio.pglite}× on PGlite:`,
    );
    for (const r of results.filter((x) => x.kind === 'portal')) {
      for (const l of r.levels.filter((x) => x.concurrency === TARGET.concurrency)) {
        const fr = ratio(l.flowsPerSec, b50.flowsPerSec);
        const met = r.storage === 'postgres' ? fr >= TARGET.flowsRatio.postgres && l.p99Ms < b50.p99Ms : fr >= (TARGET.flowsRatio[r.storage] ?? TARGET.flowsRatio.postgres);
        verdicts.push({ storage: r.storage, variant: l.variant, flowsRatio: fr, p99Ms: l.p99Ms, baselineP99Ms: b50.p99Ms, met, disturbed: [l, b50].some((x) => (x.otherLoadCores ?? 0) > QUIET.disturbedCores) });
        const disturbed = [l, b50].some((x) => (x.otherLoadCores ?? 0) > QUIET.disturbedCores);
        console.log(`  ${r.storage.padEnd(8)} ${l.variant.padEnd(28)} ${fmt(fr, 2)}× flows/s, p99 ${fmt(l.p99Ms, 0)} ms → ${met ? 'met' : 'NOT met'}${disturbed ? ' (disturbed by other load: rerun on a quiet machine)' : ''}`);
      }
    }
  }
  for (const r of results) {
    const written = r.extra.written as Record<string, number> | undefined;
    if (written) console.log(`\n${r.storage}: rows written for the bench tenant: ${Object.entries(written).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const libErrors = r.extra.libraryErrors as string[] | undefined;
    if (libErrors?.length) console.log(`baseline: library logged errors: ${libErrors.join(' | ')}`);
    const samples = r.levels.flatMap((l) => l.errorSamples);
    if (samples.length) console.log(`${r.kind === 'baseline' ? 'baseline' : r.storage}: error samples: ${[...new Set(samples)].join(' | ')}`);
  }
  for (const f of failures) console.log(`\n${f.label} did not complete:\n${f.error}`);

  if (profiles.length) {
    console.log('\nCPU profiles (main thread, measured windows only; every level of each process together):');
    for (const p of profiles) printSummary(`${p.label} (${path.relative(root, p.file)})`, summarize(p.file, p.windows, 15));
  }

  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, 'latest.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: started.toISOString(),
        finishedAt: new Date().toISOString(),
        machine: m,
        options: { warmupMs, durationMs, levels: levels.split(',').map(Number), profile },
        note: 'The test IdP signs responses in the same process for the baseline and the portal; its CPU is included on both sides.',
        results,
        comparisons,
        target: { ...TARGET, verdicts },
        failures,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`\nJSON: ${path.relative(root, file)}${profile ? `; CPU profiles: ${path.relative(root, path.join(resultsDir, 'profiles'))}/` : ''}`);
  if (failures.length) process.exitCode = 1;
}

await main();
