import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { closeDb, dbHandle } from './client';

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
    await closeDb();
    expect(existsSync(path.join(dataDir, 'pglite', 'portal.lock'))).toBe(false);
    expect((await verify(dataDir)).code).toBe(0);

    // A process that is gone (killed while holding the storage).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const stale = mkdtempSync(path.join(tmpdir(), 'portal-lock-'));
    mkdirSync(path.join(stale, 'pglite'), { recursive: true });
    writeFileSync(path.join(stale, 'pglite', 'portal.lock'), JSON.stringify({ pid: Number(gone.stdout), started: null }));
    const next = await verify(stale);
    expect(next.code).toBe(0);
    // Released again when it stopped.
    expect(existsSync(path.join(stale, 'pglite', 'portal.lock'))).toBe(false);

    // A lock naming this very process but an earlier life of its process ID (a restarted container).
    await dbHandle();
    const lock = path.join(dataDir, 'pglite', 'portal.lock');
    const mine = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number; started: string | null };
    expect(mine.pid).toBe(process.pid);
    await closeDb();
    if (mine.started !== null) {
      writeFileSync(lock, JSON.stringify({ pid: process.pid, started: `${mine.started}0` }));
      expect((await dbHandle()).kind).toBe('pglite');
      expect(JSON.parse(readFileSync(lock, 'utf8'))).toEqual(mine);
    }
  });
});
