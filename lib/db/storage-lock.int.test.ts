import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { copyMigratedStorage } from '../testing/reset';
import { closeDb, dbHandle } from './client';
import { lockStorage, StorageInUse } from './storage-lock';

/**
 * Embedded storage serves one process: a second one opening the same directory (a second
 * `npm start`, `npm run audit:verify` beside the running portal, an overlapping restart) would
 * lose committed data, so it is refused with the holder named. A holder that died (a kill) leaves
 * a lock that the next start takes over.
 */
const verify = (dataDir: string) =>
  promisify(execFile)(process.execPath, ['--conditions=react-server', '--import', 'tsx', 'scripts/audit-verify.ts'], {
    env: { ...process.env, DATA_DIR: dataDir },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }),
  );

describe.skipIf(!!process.env.DATABASE_URL)('embedded storage has one process at a time', () => {
  it('refuses a second process while this one holds it, naming the holder', async () => {
    await dbHandle();
    const second = await verify(process.env.DATA_DIR!);
    expect(second.code).toBe(2);
    expect(second.err).toContain(`in use by process ${process.pid}`);
    // This process's storage is untouched and still works.
    expect(await (await dbHandle()).query('select 1 as ok')).toEqual([{ ok: 1 }]);
  });

  it('lets the next process open it once this one closed it, and takes over the lock of a holder that died', async () => {
    const dataDir = process.env.DATA_DIR!;
    await dbHandle();
    const lock = path.join(dataDir, 'pglite', 'portal.lock');
    const mine = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; started: string | null; ns: string | null; boot: string | null };
    expect(mine.pid).toBe(process.pid);
    await closeDb();
    expect(existsSync(lock)).toBe(false);
    expect((await verify(dataDir)).code).toBe(0);

    // A process that is gone (killed while holding the storage), in this namespace and boot.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = mkdtempSync(path.join(tmpdir(), 'portal-lock-'));
    copyMigratedStorage(inject('pgliteTemplate'), stale);
    writeFileSync(path.join(stale, 'pglite', 'portal.lock'), JSON.stringify({ ...mine, pid: Number(gone.stdout), started: null }));
    const next = await verify(stale);
    expect(next.code).toBe(0);
    // Released again when it stopped.
    expect(existsSync(path.join(stale, 'pglite', 'portal.lock'))).toBe(false);

    // A lock naming this very process but an earlier life of its process ID (a restarted container).
    if (mine.started !== null) {
      writeFileSync(lock, JSON.stringify({ ...mine, started: `${mine.started}0` }));
      expect((await dbHandle()).kind).toBe('pglite');
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual(mine);
      await closeDb();
    }
  });

  it('of processes starting together, one gets it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portal-lock-race-'));
    const child = `import { lockStorage } from './lib/db/storage-lock.ts';
      const at = Number(process.argv[1]);
      await new Promise((r) => setTimeout(r, at - Date.now()));
      try { await lockStorage(${JSON.stringify(dir)}); console.log('GOT'); await new Promise((r) => setTimeout(r, 1500)); } catch { console.log('REFUSED'); }`;
    for (let trial = 0; trial < 3; trial++) {
      const at = Date.now() + 2500;
      const runs = Array.from({ length: 4 }, () =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, String(at)], { timeout: 30_000 }).then((r) => r.stdout.trim()),
      );
      const outs = await Promise.all(runs);
      expect(outs.filter((o) => o === 'GOT'), `trial ${trial}: ${outs.join(' ')}`).toHaveLength(1);
    }
  }, 120_000);

  it('a holder it cannot ask (another container or machine) holds it while it touches the lock, and is taken over once it stops', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portal-lock-ns-'));
    const lock = path.join(dir, 'portal.lock');
    writeFileSync(lock, JSON.stringify({ pid: process.pid, started: 'elsewhere', ns: 'pid:[1]', boot: 'another-machine' }));
    const beat = setInterval(() => utimesSync(lock, new Date(), new Date()), 200);
    try {
      await expect(lockStorage(dir, { staleMs: 1000 })).rejects.toBeInstanceOf(StorageInUse);
    } finally {
      clearInterval(beat);
    }
    const release = await lockStorage(dir, { staleMs: 1000 });
    expect(JSON.parse(readFileSync(lock, 'utf8'))).toMatchObject({ pid: process.pid, boot: expect.not.stringMatching('another-machine') });
    release();
    expect(existsSync(lock)).toBe(false);
  }, 30_000);
});
