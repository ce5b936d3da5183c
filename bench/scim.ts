/**
 * SCIM throughput of the portal, at route-handler level (the path of lib/scim/*.int.test.ts: no
 * HTTP server, the real handler, transaction, audit events and request log), on PGlite and on
 * PostgreSQL, against bare SQL inserts of the same rows as a baseline.
 *
 *   npx tsx bench/scim.ts                      # both storages, full sizes
 *   npx tsx bench/scim.ts --quick              # small sizes (a smoke run)
 *   npx tsx bench/scim.ts --only=pglite --users=10000 --groups=200 --concurrency=1,10 --duration-ms=8000
 *
 * Measures, per storage:
 *   - users created/s (Okta's POST /Users with password and groups: []), closed loop, per concurrency;
 *   - PATCHes/s: user PATCH (Okta's deactivate/reactivate) and group PATCH (Entra's Add member);
 *   - an initial sync: N users (Entra shape), G groups, every user in 2 groups, membership pushed
 *     by PATCH Add in batches of 50 (as Entra does) — total seconds and users/s;
 *   - baseline: the same users, groups and memberships as bare SQL INSERTs (one transaction per
 *     user, like one request), without SCIM parsing, audit events or request log.
 *
 * PostgreSQL: BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test) names a server; a
 * fresh database is created per run and dropped afterwards. Prints a table; writes
 * bench/results/scim-latest.json. One storage per child process (env and database handle are
 * cached on globalThis).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const arg = (name: string, fallback?: string) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};
const quick = process.argv.includes('--quick');
const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');
const RESULT = 'SCIM_BENCH_RESULT ';

type Rate = { label: string; concurrency: number; ops: number; seconds: number; perSec: number; p50Ms: number; p99Ms: number; errors: number };
type Sync = { label: string; users: number; groups: number; memberships: number; requests: number; seconds: number; usersPerSec: number; errors: number };
type ChildResult = { storage: string; rates: Rate[]; syncs: Sync[]; usersPhase?: { scim: number; bare: number } };

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] : NaN);

// ---------------------------------------------------------------------------------------------
// Child: one storage
// ---------------------------------------------------------------------------------------------

async function child() {
  const storage = arg('storage')!;
  const dataDir = arg('data-dir')!;
  const databaseUrl = arg('database-url');
  const users = Number(arg('users', quick ? '1000' : '10000'));
  const groups = Number(arg('groups', quick ? '20' : '200'));
  const durationMs = Number(arg('duration-ms', quick ? '3000' : '8000'));
  const levels = arg('concurrency', '1,10')!.split(',').map(Number);
  for (const k of ['DATABASE_URL', 'PUBLIC_URL', 'DEMO_MODE', 'OPERATOR_API_KEY', 'OPERATOR_EMAIL', 'OPERATOR_PASSWORD', 'PORT']) delete process.env[k];
  Object.assign(process.env, {
    DATA_DIR: dataDir,
    AUTH_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://localhost:3000',
    ...(storage === 'postgres' ? { DATABASE_URL: databaseUrl } : {}),
  });
  const log = (m: string) => process.stderr.write(`  [${storage}] ${m}\n`);

  const { SYSTEM } = await import('../lib/audit/types');
  const { dbHandle, closeDb } = await import('../lib/db/client');
  const { createTenant } = await import('../lib/dal/tenants');
  const { createDirectory } = await import('../lib/dal/directories');
  const { handleScim } = await import('../lib/scim/server');
  const { newId } = await import('../lib/ids');
  const handle = await dbHandle();

  type Dir = { id: string; token: string };
  const newDir = async (label: string): Promise<Dir & { tenantId: string; domain: string }> => {
    const domain = `${label}-${randomBytes(4).toString('hex')}.example.com`;
    const t = await createTenant(SYSTEM, { name: `Bench ${domain}`, domains: [domain] });
    const d = await createDirectory(SYSTEM, t.id, { name: label, provider: 'generic' });
    return { id: d.id, token: d.bearerToken, tenantId: t.id, domain };
  };
  const call = async (dir: Dir, method: string, p: string, body?: unknown) => {
    const url = new URL(`http://localhost/api/scim/v2/${dir.id}${p}`);
    const req = new Request(url, {
      method,
      headers: { authorization: `Bearer ${dir.token}`, 'content-type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const res = await handleScim(req, dir.id, url.pathname.split('/').slice(5).filter(Boolean));
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const oktaUser = (userName: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: 'Bench', familyName: 'User' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Bench User',
    externalId: `00u${randomBytes(6).toString('hex')}`,
    groups: [],
    password: 'Bench-Password-1',
    active: true,
  });
  const entraUser = (upn: string, mail: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
    externalId: randomBytes(8).toString('hex'),
    userName: upn,
    active: 'True',
    displayName: 'Bench User',
    emails: [{ primary: true, type: 'work', value: mail }],
    name: { givenName: 'Bench', familyName: 'User' },
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D', employeeNumber: '1' },
  });

  /** Closed loop: c workers call `op(i)` back to back for durationMs (after a short warm-up). */
  const closedLoop = async (label: string, c: number, op: (i: number) => Promise<number>): Promise<Rate> => {
    let i = 0;
    let errors = 0;
    const lat: number[] = [];
    const warmUntil = performance.now() + Math.min(1000, durationMs / 4);
    while (performance.now() < warmUntil) await op(i++);
    const start = performance.now();
    const end = start + durationMs;
    await Promise.all(
      Array.from({ length: c }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const status = await op(i++);
          if (status >= 300) errors++;
          else lat.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    lat.sort((a, b) => a - b);
    const r: Rate = { label, concurrency: c, ops: lat.length, seconds, perSec: lat.length / seconds, p50Ms: pct(lat, 50), p99Ms: pct(lat, 99), errors };
    log(`${label} c=${c}: ${r.perSec.toFixed(1)}/s (p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, ${errors} errors)`);
    return r;
  };

  const rates: Rate[] = [];
  const syncs: Sync[] = [];
  const P = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

  // 1. users created/s
  for (const c of levels) {
    const dir = await newDir(`create-c${c}`);
    rates.push(await closedLoop('users created', c, async (i) => (await call(dir, 'POST', '/Users', oktaUser(`u${i}@${dir.domain}`))).status));
  }

  // 2. PATCHes/s on a directory of 500 users and 10 groups
  {
    const dir = await newDir('patch');
    const ids: string[] = [];
    for (let i = 0; i < 500; i++) ids.push((await call(dir, 'POST', '/Users', oktaUser(`p${i}@${dir.domain}`))).body.id);
    const gids: string[] = [];
    for (let g = 0; g < 10; g++) gids.push((await call(dir, 'POST', '/Groups', { displayName: `Group ${g}` })).body.id);
    for (const c of levels) {
      rates.push(
        await closedLoop('user PATCHes (active false/true)', c, async (i) => {
          const id = ids[i % ids.length];
          return (await call(dir, 'PATCH', `/Users/${id}`, { schemas: [P], Operations: [{ op: 'replace', value: { active: Math.floor(i / ids.length) % 2 === 1 } }] })).status;
        }),
      );
      rates.push(
        await closedLoop('group PATCHes (Add/Remove member)', c, async (i) => {
          const id = ids[i % ids.length];
          const g = gids[Math.floor(i / ids.length) % gids.length];
          const op = Math.floor(i / (ids.length * gids.length)) % 2 === 0 ? 'Add' : 'Remove';
          return (await call(dir, 'PATCH', `/Groups/${g}`, { schemas: [P], Operations: [{ op, path: 'members', value: [{ value: id }] }] })).status;
        }),
      );
    }
  }

  /** Seconds of the users phase alone (the create path), SCIM and bare SQL. */
  const usersPhase = { scim: NaN, bare: NaN };

  // 3. initial sync: N users, G groups, each user in 2 groups, members added 50 per PATCH
  const syncConcurrency = Number(arg('sync-concurrency', '10'));
  {
    const dir = await newDir('sync');
    const t0 = performance.now();
    let requests = 0;
    let errors = 0;
    const ids: string[] = new Array(users);
    let next = 0;
    await Promise.all(
      Array.from({ length: syncConcurrency }, async () => {
        for (let i = next++; i < users; i = next++) {
          const r = await call(dir, 'POST', '/Users', entraUser(`sync${i}@contoso.onmicrosoft.com`, `sync${i}@${dir.domain}`));
          requests++;
          if (r.status !== 201) errors++;
          ids[i] = r.body?.id;
        }
      }),
    );
    usersPhase.scim = (performance.now() - t0) / 1000;
    log(`initial sync: ${users} users in ${usersPhase.scim.toFixed(1)} s`);
    const gids: string[] = [];
    for (let g = 0; g < groups; g++) {
      const r = await call(dir, 'POST', '/Groups', { displayName: `Sync group ${g}`, externalId: `g${g}` });
      requests++;
      gids.push(r.body.id);
    }
    const batches: { g: string; members: string[] }[] = [];
    for (let g = 0; g < groups; g++) {
      const members = ids.filter((_, i) => i % groups === g || (i + Math.floor(groups / 2)) % groups === g);
      for (let k = 0; k < members.length; k += 50) batches.push({ g: gids[g], members: members.slice(k, k + 50) });
    }
    let b = 0;
    let memberships = 0;
    await Promise.all(
      Array.from({ length: syncConcurrency }, async () => {
        for (let k = b++; k < batches.length; k = b++) {
          const r = await call(dir, 'PATCH', `/Groups/${batches[k].g}`, { schemas: [P], Operations: [{ op: 'Add', path: 'members', value: batches[k].members.map((value) => ({ value })) }] });
          requests++;
          if (r.status !== 204) errors++;
          memberships += batches[k].members.length;
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    syncs.push({ label: 'initial sync via SCIM', users, groups, memberships, requests, seconds, usersPerSec: users / seconds, errors });
    log(`initial sync: ${users} users, ${groups} groups, ${memberships} memberships, ${requests} requests in ${seconds.toFixed(1)} s (${errors} errors)`);
  }

  // 4. baseline: bare SQL inserts of the same rows (one transaction per user, like one request)
  {
    const dir = await newDir('baseline');
    const t0 = performance.now();
    const q = handle.query.bind(handle);
    const tx = async (statements: [string, unknown[]][]) => {
      if (handle.kind === 'pglite') {
        // one connection: run the statements in one transaction
        await q('begin');
        try {
          for (const [s, p] of statements) await q(s, p);
          await q('commit');
        } catch (e) {
          await q('rollback');
          throw e;
        }
        return;
      }
      const pg = (await import('pg')).default;
      const client = (globalThis as { __benchPool?: InstanceType<typeof pg.Pool> }).__benchPool ?? new pg.Pool({ connectionString: databaseUrl, max: syncConcurrency });
      (globalThis as { __benchPool?: InstanceType<typeof pg.Pool> }).__benchPool = client;
      const c = await client.connect();
      try {
        await c.query('begin');
        for (const [s, p] of statements) await c.query(s, p);
        await c.query('commit');
      } catch (e) {
        await c.query('rollback');
        throw e;
      } finally {
        c.release();
      }
    };
    const ids: string[] = new Array(users);
    let next = 0;
    // PGlite has one connection: the baseline runs serially there (concurrency would only queue)
    const workers = handle.kind === 'pglite' ? 1 : syncConcurrency;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let i = next++; i < users; i = next++) {
          const id = newId('scu');
          const uid = newId('usr');
          const mail = `sync${i}@${dir.domain}`;
          const resource = entraUser(`sync${i}@contoso.onmicrosoft.com`, mail);
          await tx([
            ['insert into users (id, tenant_id, email, source, roles, groups) values ($1, $2, $3, $4, $5, $6)', [uid, dir.tenantId, mail, 'scim', ['member'], []]],
            [
              'insert into scim_users (id, directory_id, tenant_id, user_name, external_id, active, emails, resource, portal_user_id) values ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
              [id, dir.id, dir.tenantId, resource.userName, resource.externalId, true, [mail], JSON.stringify({ ...resource, active: true }), uid],
            ],
          ]);
          ids[i] = id;
        }
      }),
    );
    usersPhase.bare = (performance.now() - t0) / 1000;
    log(`baseline: ${users} users in ${usersPhase.bare.toFixed(1)} s`);
    const gids: string[] = [];
    for (let g = 0; g < groups; g++) {
      const id = newId('scg');
      await tx([['insert into scim_groups (id, directory_id, tenant_id, display_name, external_id) values ($1,$2,$3,$4,$5)', [id, dir.id, dir.tenantId, `Sync group ${g}`, `g${g}`]]]);
      gids.push(id);
    }
    let memberships = 0;
    for (let g = 0; g < groups; g++) {
      const members = ids.filter((_, i) => i % groups === g || (i + Math.floor(groups / 2)) % groups === g);
      for (let k = 0; k < members.length; k += 50) {
        const batch = members.slice(k, k + 50);
        await tx([
          [
            `insert into scim_group_members (group_id, user_id, directory_id) select $1, unnest($2::text[]), $3`,
            [gids[g], batch, dir.id],
          ],
        ]);
        memberships += batch.length;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    syncs.push({ label: 'baseline: bare SQL inserts', users, groups, memberships, requests: 0, seconds, usersPerSec: users / seconds, errors: 0 });
    log(`baseline: ${seconds.toFixed(1)} s`);
    await (globalThis as { __benchPool?: { end(): Promise<void> } }).__benchPool?.end();
  }

  await closeDb();
  log(`create path (users phase of the sync): ${usersPhase.scim.toFixed(1)} s via SCIM vs ${usersPhase.bare.toFixed(1)} s bare SQL = ${(usersPhase.scim / usersPhase.bare).toFixed(2)}×`);
  const result: ChildResult = { storage, rates, syncs, usersPhase };
  process.stdout.write(`${RESULT}${JSON.stringify(result)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent: fresh storage per child, then the table
// ---------------------------------------------------------------------------------------------

async function parent() {
  const only = new Set((arg('only', 'pglite,postgres') ?? '').split(','));
  const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const pg = (await import('pg')).default;
  const results: ChildResult[] = [];
  const passThrough = process.argv.slice(2).filter((a) => !a.startsWith('--only='));
  const cpus = os.cpus();
  console.log(`SCIM bench — ${cpus.length} cores (${cpus[0]?.model?.trim()}), Node ${process.version}${quick ? ' (quick)' : ''}`);
  for (const storage of ['pglite', 'postgres'].filter((s) => only.has(s))) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'portal-bench-scim-'));
    let dbName: string | null = null;
    const args = [`--storage=${storage}`, `--data-dir=${dataDir}`];
    if (storage === 'postgres') {
      dbName = `bench_scim_${randomBytes(4).toString('hex')}`;
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`create database ${dbName}`);
      await c.end();
      const u = new URL(adminUrl);
      u.pathname = `/${dbName}`;
      args.push(`--database-url=${u}`);
    }
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ['--conditions=react-server', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', ...args, ...passThrough], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'inherit'],
          env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
        });
        let stdout = '';
        p.stdout.on('data', (d) => (stdout += d));
        p.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${storage} child exited with ${code}`))));
      });
      const line = out.split('\n').find((l) => l.startsWith(RESULT));
      if (line) results.push(JSON.parse(line.slice(RESULT.length)));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName) {
        const c = new pg.Client({ connectionString: adminUrl });
        await c.connect();
        await c.query(`drop database if exists ${dbName} with (force)`);
        await c.end();
      }
    }
  }

  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '—');
  const table = (headers: string[], rows: string[][]) => {
    const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
    return [line(headers), w.map((x) => '-'.repeat(x)).join('  '), ...rows.map(line)].join('\n');
  };
  console.log('\nThroughput (closed loop, route handler, one transaction per request incl. audit events and request log)');
  console.log(
    table(
      ['storage', 'operation', 'c', 'ops/s', 'p50 ms', 'p99 ms', 'errors'],
      results.flatMap((r) => r.rates.map((x) => [r.storage, x.label, String(x.concurrency), f(x.perSec), f(x.p50Ms), f(x.p99Ms), String(x.errors)])),
    ),
  );
  console.log('\nInitial sync (users, then groups, then members 50 per PATCH) vs bare SQL inserts of the same rows');
  console.log(
    table(
      ['storage', 'run', 'users', 'groups', 'members', 'requests', 'seconds', 'users/s', 'errors'],
      results.flatMap((r) => r.syncs.map((s) => [r.storage, s.label, String(s.users), String(s.groups), String(s.memberships), String(s.requests), f(s.seconds), f(s.usersPerSec), String(s.errors)])),
    ),
  );
  console.log('\nTargets: initial sync under 60 s; the create path (users phase) within 3× of the bare inserts of the same users');
  for (const r of results) {
    const sync = r.syncs.find((x) => x.label.startsWith('initial sync'));
    const ratio = r.usersPhase ? r.usersPhase.scim / r.usersPhase.bare : NaN;
    console.log(
      `  ${r.storage.padEnd(8)}  sync ${f(sync?.seconds ?? NaN)} s → ${sync && sync.seconds < 60 ? 'met' : 'NOT met'};  create path ${f(ratio, 2)}× (${f(r.usersPhase?.scim ?? NaN)} s vs ${f(r.usersPhase?.bare ?? NaN)} s) → ${ratio <= 3 ? 'met' : 'NOT met'}`,
    );
  }
  mkdirSync(path.join(benchDir, 'results'), { recursive: true });
  writeFileSync(path.join(benchDir, 'results', 'scim-latest.json'), JSON.stringify({ at: new Date().toISOString(), quick, results }, null, 2));
}

if (process.argv.includes('--child')) await child();
else await parent();
