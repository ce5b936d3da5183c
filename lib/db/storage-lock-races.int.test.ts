import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

/**
 * The storage lock's narrow windows, forced: another process acting between two steps of this
 * one (node:fs hooked). Whatever the order, at most one live process holds the lock, and a process
 * that lost its lock finds out.
 */
const hook: { rename?: (from: string, to: string) => void; link?: (from: string, to: string) => void } = {};
vi.mock('node:fs', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs')>();
  return {
    ...orig,
    renameSync: (from: string, to: string) => (hook.rename ? hook.rename(from, to) : orig.renameSync(from, to)),
    linkSync: (from: string, to: string) => (hook.link ? hook.link(from, to) : orig.linkSync(from, to)),
  };
});

const sleepers: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  hook.rename = hook.link = undefined;
  for (const s of sleepers.splice(0)) s.kill();
});

async function setup() {
  vi.resetModules();
  const lock = await import('./storage-lock');
  const fs = await vi.importActual<typeof import('node:fs')>('node:fs');
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'portal-lock-window-'));
  const file = path.join(dir, 'portal.lock');
  const ns = fs.readlinkSync('/proc/self/ns/pid');
  const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  /** A live process standing in for another portal. */
  const live = () => {
    const p = spawn('sleep', ['30']);
    sleepers.push(p);
    return p.pid!;
  };
  const lockOf = (pid: number) => JSON.stringify({ pid, started: null, ns, boot });
  /** Links `pid`'s lock into place, as that process would. */
  const linkAs = (pid: number) => {
    fs.writeFileSync(`${file}.${pid}`, lockOf(pid));
    fs.linkSync(`${file}.${pid}`, file);
    fs.rmSync(`${file}.${pid}`);
  };
  const holder = () => (JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number }).pid;
  return { ...lock, fs, dir, file, live, lockOf, linkAs, holder };
}

describe.skipIf(!!process.env.DATABASE_URL)('the storage lock under interleavings', () => {
  it('a lock moved away that is not the stale one judged is put back, whoever linked meanwhile', async () => {
    const t = await setup();
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const a = t.live();
    const d = t.live();
    t.fs.writeFileSync(t.file, t.lockOf(dead));
    let first = true;
    hook.rename = (from, to) => {
      if (first && from === t.file) {
        first = false;
        // A takes the stale lock over first; this process then moves A's lock away; D links into the gap.
        t.fs.rmSync(t.file);
        t.linkAs(a);
        t.fs.renameSync(from, to);
        t.linkAs(d);
        return;
      }
      t.fs.renameSync(from, to);
    };
    await expect(t.lockStorage(t.dir)).rejects.toBeInstanceOf(t.StorageInUse);
    // A, which took it over, holds it still (D, which linked into the gap, finds out: next test).
    expect(t.holder()).toBe(a);
  });

  it('a process whose fresh lock was replaced at once does not go on as its holder', async () => {
    const t = await setup();
    const other = t.live();
    hook.link = (from, to) => {
      t.fs.linkSync(from, to);
      if (to === t.file) {
        hook.link = undefined;
        // Another process's put-back lands on this process's lock just after it was linked.
        t.fs.writeFileSync(`${t.file}.other`, t.lockOf(other));
        t.fs.renameSync(`${t.file}.other`, t.file);
      }
    };
    await expect(t.lockStorage(t.dir)).rejects.toThrow(`in use by process ${other}`);
    expect(t.holder()).toBe(other);
  });

  it('a holder whose lock another process took finds out at its next heartbeat', async () => {
    const t = await setup();
    const lost = vi.fn();
    const release = await t.lockStorage(t.dir, { heartbeatMs: 100, onLost: lost });
    const other = t.live();
    t.fs.writeFileSync(`${t.file}.other`, t.lockOf(other));
    t.fs.renameSync(`${t.file}.other`, t.file);
    await new Promise((r) => setTimeout(r, 400));
    expect(lost).toHaveBeenCalledWith(other);
    release();
    // Not its lock: left alone.
    expect(t.holder()).toBe(other);
  });

  it('on a file system without hard links, the lock is created exclusively all the same', async () => {
    const t = await setup();
    hook.link = () => {
      throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    };
    const release = await t.lockStorage(t.dir);
    expect(t.holder()).toBe(process.pid);
    await expect(t.lockStorage(t.dir)).rejects.toBeInstanceOf(t.StorageInUse);
    release();
    expect(t.fs.existsSync(t.file)).toBe(false);
  });
});
