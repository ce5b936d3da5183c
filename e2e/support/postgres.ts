import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './portal';

/** The directory of the machine's PostgreSQL server programs (Debian keeps them off PATH). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(path.join(root, v, 'bin', 'postgres'))) return path.join(root, v, 'bin');
  throw new Error('no PostgreSQL server programs under /usr/lib/postgresql');
}

/** PostgreSQL refuses to run as root: as root, its programs run as the `postgres` account. */
function asOwner(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

/**
 * A PostgreSQL of the test's own — its own data directory and port, never the machine's shared
 * server — that the test may kill (`SIGKILL` of the postmaster, as a crash does) and start again
 * on the same data.
 */
export class PrivatePostgres {
  private proc: ChildProcess | null = null;
  private log = '';
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  get url() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PrivatePostgres> {
    const base = mkdtempSync(path.join(tmpdir(), 'portal-pg-'));
    chmodSync(base, 0o755);
    const dir = path.join(base, 'data');
    if (process.getuid?.() === 0) {
      const { uid, gid } = (() => {
        const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).split(':');
        return { uid: Number(line[2]), gid: Number(line[3]) };
      })();
      chownSync(base, uid, gid);
    }
    const [cmd, args] = asOwner(path.join(binDir(), 'initdb'), ['-D', dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    execFileSync(cmd, args, { stdio: 'pipe' });
    const server = new PrivatePostgres(dir, await freePort());
    await server.start();
    return server;
  }

  /** Starts the postmaster on the data directory and waits until it accepts connections; answers how long that took. */
  async start(timeoutMs = 60_000): Promise<number> {
    const started = Date.now();
    for (;;) {
      // After a SIGKILL of the postmaster its backends notice and exit; until they have, a new
      // postmaster refuses the data directory ("pre-existing shared memory block"): try again.
      const [cmd, args] = asOwner(path.join(binDir(), 'postgres'), [
        '-D', this.dir, '-p', String(this.port), '-k', path.dirname(this.dir), '-c', 'listen_addresses=127.0.0.1',
        '-c', 'fsync=off', '-c', 'max_connections=60', '-c', 'shared_buffers=32MB',
      ]);
      const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      proc.stdout!.on('data', (d) => (this.log += d));
      proc.stderr!.on('data', (d) => (this.log += d));
      this.proc = proc;
      while (proc.exitCode === null && Date.now() - started < timeoutMs) {
        if (await this.accepts()) return Date.now() - started;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (Date.now() - started >= timeoutMs) throw new Error(`PostgreSQL did not start:\n${this.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** What the server has written to its log so far (connection errors, crash recovery). */
  serverLog(): string {
    return this.log;
  }

  private async accepts(): Promise<boolean> {
    const c = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    try {
      await c.connect();
      await c.query('select 1');
      return true;
    } catch {
      return false;
    } finally {
      await c.end().catch(() => {});
    }
  }

  /** A crash: SIGKILL of the postmaster alone (its backends find it gone and exit by themselves). */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    // As root the child is runuser; the postmaster is the process whose pid its pid file names.
    const pid = Number(execFileSync('head', ['-1', path.join(this.dir, 'postmaster.pid')], { encoding: 'utf8' }).trim());
    process.kill(pid, 'SIGKILL');
    await exited;
    this.proc = null;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      try {
        const pid = Number(execFileSync('head', ['-1', path.join(this.dir, 'postmaster.pid')], { encoding: 'utf8' }).trim());
        process.kill(pid, 'SIGQUIT'); // immediate shutdown
      } catch {
        proc.kill('SIGKILL');
      }
      await exited;
    }
    this.proc = null;
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}
