import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Embedded storage (PGlite) is one process's: a second process writing the same directory loses
 * committed data without an error. Opening it takes `portal.lock` in it, and a live holder is
 * refused with its process ID; a holder that is gone (killed) left a stale lock, which the next
 * opener takes over.
 *
 * - The lock is created whole (written aside, then linked in place) and taken over by renaming it
 *   away, which only one process can do: of processes starting together, one gets it.
 * - A holder is named by its process ID and start time, its PID namespace and the machine's boot:
 *   in the same namespace and boot its process tells whether it lives (a killed holder, or an ID
 *   used again later, is gone at once). A holder in another container or on another machine
 *   sharing the directory cannot be asked: it touches the lock every few seconds, and its lock is
 *   stale once untouched for STALE_MS (an opener waits that long before taking it over).
 * - A lock moved away that was not the stale one judged (a new holder's) is put back at once; a
 *   process holds a lock it created only if it is still its own a moment later, and a holder that
 *   finds its lock another's at a heartbeat stops. A process stalled for STALE_MS (its heartbeat
 *   silent) can lose its lock to another container's process: the limit of a file lock.
 */
export class StorageInUse extends Error {
  constructor(dir: string, pid: number) {
    super(
      `the embedded storage in ${dir} is in use by process ${pid} (one process at a time: stop it first, or use PostgreSQL with DATABASE_URL for several). ` +
        `If no such process runs, delete ${path.join(dir, LOCK)}.`,
    );
    this.name = 'StorageInUse';
  }
}

const LOCK = 'portal.lock';
const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
/** How long after taking the lock it is read again: another process's put-back lands within it. */
const SETTLE_MS = 50;
/** File systems without hard links (some network shares) answer these to link(2). */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

type Holder = { pid: number; started: string | null; ns: string | null; boot: string | null };

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
};

/** A process's state and start time (clock ticks since boot) from /proc/<pid>/stat, or null where unknown. */
function statOf(pid: number): { state: string; started: string } | null {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return null;
  // The command name (field 2) is in parentheses and may hold spaces: fields 3… follow its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], started: fields[19] };
}

function me(): Holder {
  let ns: string | null = null;
  try {
    ns = readlinkSync('/proc/self/ns/pid');
  } catch {
    /* not Linux */
  }
  return { pid: process.pid, started: statOf(process.pid)?.started ?? null, ns, boot: read('/proc/sys/kernel/random/boot_id') };
}

function holderOf(text: string | null): Holder | null {
  try {
    const h = JSON.parse(text ?? '') as Partial<Holder>;
    if (typeof h.pid !== 'number' || !Number.isInteger(h.pid) || h.pid <= 0) return null;
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    return { pid: h.pid, started: str(h.started), ns: str(h.ns), boot: str(h.boot) };
  } catch {
    return null; // not a lock this code wrote: stale
  }
}

/** Whether the holder's process lives, when this process can tell (same PID namespace and boot); null when it cannot. */
function alive(h: Holder, self: Holder): boolean | null {
  if (h.ns !== self.ns || h.boot !== self.boot) return null;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = statOf(h.pid);
  if (!stat) return true;
  // Killed and not yet reaped (a zombie) holds nothing; an ID used again is another process.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return h.started === null || stat.started === h.started;
}

/** Milliseconds since `file` was last touched (0 when it is gone: a reader then reads again). */
function ageOf(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = () => `${process.pid}.${randomBytes(6).toString('hex')}`;

/** Creates `file` with `content` only if it does not exist, whole (linked in place) where hard links work. */
function createWhole(file: string, content: string): boolean {
  const aside = `${file}.${unique()}`;
  writeFileSync(aside, content);
  try {
    linkSync(aside, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (!NO_LINKS.has(code)) throw err;
  } finally {
    rmSync(aside, { force: true });
  }
  // No hard links: created exclusively (a reader may see it half-written for a moment, and waits).
  try {
    writeFileSync(file, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** The default when a holder finds its lock taken: stop at once, before writing more. */
function stopProcess(pid: number) {
  console.error(`the embedded storage lock was taken by process ${pid}: stopping, so that two processes never write the same storage`);
  process.exit(1);
}

/**
 * Takes the directory's lock or throws StorageInUse; returns its release (idempotent). A holder
 * this process cannot ask is waited for until its lock goes stale (at most `staleMs` and a little).
 * Held, the lock is touched every `heartbeatMs`; finding it another process's then calls
 * `onLost` (by default the process stops: two processes must never write the same storage).
 */
export async function lockStorage(dir: string, opts: { staleMs?: number; heartbeatMs?: number; onLost?: (pid: number) => void } = {}): Promise<() => void> {
  const staleMs = opts.staleMs ?? STALE_MS;
  const heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  const onLost = opts.onLost ?? stopProcess;
  const file = path.join(dir, LOCK);
  const self = me();
  const mine = JSON.stringify(self);
  const deadline = Date.now() + staleMs + HEARTBEAT_MS;
  for (;;) {
    if (createWhole(file, mine)) {
      // Another process's put-back (below) may land on it at once: taken only if it is still ours.
      await sleep(SETTLE_MS);
      if (read(file) === mine) break;
      continue;
    }
    const text = read(file);
    if (text === null) continue; // released or taken over meanwhile
    if (text === '' && ageOf(file) < 1000) {
      await sleep(SETTLE_MS); // being written (no hard links here)
      continue;
    }
    const holder = holderOf(text);
    if (holder) {
      const lives = alive(holder, self);
      if (lives) throw new StorageInUse(dir, holder.pid);
      if (lives === null) {
        const age = ageOf(file);
        if (age < staleMs) {
          if (Date.now() > deadline) throw new StorageInUse(dir, holder.pid);
          await sleep(Math.min(1000, staleMs - age + 50));
          continue;
        }
      }
    }
    // Stale: moved away (one process can), then checked to be the lock judged stale, not a new one.
    const moved = `${file}.stale.${unique()}`;
    try {
      renameSync(file, moved);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const was = read(moved);
    if (was !== text) {
      // A new holder's lock: put back in place (over any lock linked meanwhile, whose process then
      // finds it is not its own), and refused.
      renameSync(moved, file);
      throw new StorageInUse(dir, holderOf(was)?.pid ?? 0);
    }
    rmSync(moved, { force: true });
  }
  // Touched while held, so that a process that cannot ask ours sees it alive; and watched.
  const heartbeat = setInterval(() => {
    const now = read(file);
    if (now !== mine) {
      const taker = holderOf(now);
      if (taker) {
        clearInterval(heartbeat);
        onLost(taker.pid);
      }
      return;
    }
    const at = new Date();
    try {
      utimesSync(file, at, at);
    } catch {
      /* removed */
    }
  }, heartbeatMs);
  heartbeat.unref();
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    clearInterval(heartbeat);
    process.off('exit', release);
    if (read(file) === mine) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}
