import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Embedded storage (PGlite) is one process's: a second process writing the same directory loses
 * committed data without an error. Opening it takes `portal.lock` in it (created exclusively,
 * naming this process), and a live holder is refused with its process ID. A holder that is gone
 * (killed) left a stale lock, which the next opener takes over. A process is named by its ID and,
 * where /proc tells it, its start time, so an ID used again later (a restarted container) is
 * still recognised as gone.
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
type Holder = { pid: number; started: string | null };

/** A process's state and start time (clock ticks since boot) from /proc/<pid>/stat, or null where unknown. */
function statOf(pid: number): { state: string; started: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields 3… follow its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], started: fields[19] };
  } catch {
    return null;
  }
}
const startOf = (pid: number) => statOf(pid)?.started ?? null;

function alive(h: Holder): boolean {
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

function holderOf(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    return typeof h.pid === 'number' && Number.isInteger(h.pid) && h.pid > 0 ? { pid: h.pid, started: typeof h.started === 'string' ? h.started : null } : null;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

/** Takes the directory's lock or throws StorageInUse; returns its release (idempotent). */
export function lockStorage(dir: string): () => void {
  const file = path.join(dir, LOCK);
  const me: Holder = { pid: process.pid, started: startOf(process.pid) };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        const h = holderOf(file);
        if ((err as NodeJS.ErrnoException).code === 'EEXIST' && h) throw new StorageInUse(dir, h.pid);
        throw err;
      }
    }
    const holder = holderOf(file);
    if (holder && alive(holder)) throw new StorageInUse(dir, holder.pid);
    rmSync(file, { force: true });
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    const h = holderOf(file);
    if (h?.pid === me.pid && h.started === me.started) rmSync(file, { force: true });
  };
  process.on('exit', release);
  return release;
}
