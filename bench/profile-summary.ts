/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `npm run bench -- --profile`):
 * self time by area (package / project directory), self time by function, and inclusive time of
 * the functions that matter for a sign-in. Only samples inside the given time windows count
 * (the bench records each level's measurement window on the same monotonic clock), so start-up,
 * migrations and warm-up are left out.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles/postgres.cpuprofile [--top=25] [--window=startUs-endUs,…]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type Node = { id: number; callFrame: CallFrame; children?: number[] };
type Profile = { nodes: Node[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] };

export type Window = { startUs: number; endUs: number };
export type Summary = {
  sampledMs: number;
  byArea: { area: string; ms: number; pct: number }[];
  bySelf: { fn: string; ms: number; pct: number }[];
  inclusive: { fn: string; ms: number; pct: number }[];
};

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A readable place for a frame: `pkg` for node_modules, the project-relative path otherwise. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native/builtin)';
  if (url.startsWith('node:')) return 'node: internals';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const rel = path.relative(root, p);
  return rel.startsWith('..') ? p : path.dirname(rel) + '/' + path.basename(rel);
}

function label(f: CallFrame): string {
  const where = f.url ? `${area(f.url, f.functionName)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

/** Functions whose inclusive time tells where a sign-in spends CPU (matched by name, any file). */
const INTERESTING = [
  // portal
  'startSsoFromRequest', 'startSignIn', 'handleAcs', 'checkSamlResponse', 'peekResponse', 'handleCallback', 'signInUser', 'record', 'eventHash', 'encode',
  // test IdP
  'buildResponse', 'parseAuthnRequest', 'signDocumentElement', 'computeSignature',
  // library
  'authorize', 'samlResponse', 'token', 'userInfo', 'validate', 'validateSignature', 'checkSignature', 'parseFromString', 'decrypt', 'encrypt',
  'getDefaultCertificate', 'generateCertificate', 'importPKCS8', 'SignJWT',
  // xml / crypto / drivers
  'canonicalize', 'process', 'xpath', 'select', 'select1', 'verify', 'sign', 'createHash', 'pbkdf2Sync', 'hkdf',
  'query', 'execute', 'mapResultRow', 'parseRow', 'handleDataRow',
  // gc
  '(garbage collector)',
];

export function summarize(file: string, windows: Window[] = [], top = 25): Summary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<number, number>();
  let t = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    const dt = prof.timeDeltas[i + 1] ?? 0; // the time until the next sample is this sample's weight
    if (windows.length && !windows.some((w) => t >= w.startUs && t <= w.endUs)) continue;
    self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
  }
  const idleIds = new Set(prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let total = 0;
  for (const [id, us] of self) if (!idleIds.has(id)) total += us;

  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    if (idleIds.has(id)) continue;
    const n = byId.get(id)!;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + us);
    const l = label(n.callFrame);
    byFn.set(l, (byFn.get(l) ?? 0) + us);
    // inclusive: each interesting function once per stack
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (INTERESTING.includes(f.functionName)) {
        const key = `${f.functionName} ${area(f.url, f.functionName)}`;
        if (!seen.has(key)) {
          seen.add(key);
          incl.set(key, (incl.get(key) ?? 0) + us);
        }
      }
    }
  }
  const rows = (m: Map<string, number>, n: number, key: 'area' | 'fn') =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ [key]: k, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / Math.max(1, total)) / 10 })) as never;
  return {
    sampledMs: Math.round(total / 1000),
    byArea: rows(byArea, top, 'area'),
    bySelf: rows(byFn, top, 'fn'),
    inclusive: rows(incl, top * 2, 'fn'),
  };
}

export function printSummary(name: string, s: Summary) {
  console.log(`\n${name}: ${s.sampledMs} ms of CPU samples in the measured windows`);
  console.log('  self time by area:');
  for (const r of s.byArea) console.log(`    ${String(r.pct).padStart(5)}%  ${String(r.ms).padStart(6)} ms  ${r.area}`);
  console.log('  self time by function:');
  for (const r of s.bySelf) console.log(`    ${String(r.pct).padStart(5)}%  ${String(r.ms).padStart(6)} ms  ${r.fn}`);
  console.log('  inclusive time (whole call, children included):');
  for (const r of s.inclusive) console.log(`    ${String(r.pct).padStart(5)}%  ${String(r.ms).padStart(6)} ms  ${r.fn}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const file = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!file) throw new Error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top=25] [--window=startUs-endUs,…]');
  const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
  const w = process.argv.find((a) => a.startsWith('--window='))?.slice(9);
  const windows = w ? w.split(',').map((x) => ({ startUs: Number(x.split('-')[0]), endUs: Number(x.split('-')[1]) })) : [];
  printSummary(path.basename(file), summarize(file, windows, top));
}
