import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export const tempDataDir = () => mkdtempSync(path.join(tmpdir(), 'portal-e2e-'));

export type Portal = { url: string; port: number; proc: ChildProcess; output: () => string; stop: (signal?: NodeJS.Signals) => Promise<void> };

/** Starts the built portal (`npm start`'s script) on a free port and waits until it is healthy. */
export async function startPortal(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<Portal> {
  const port = Number(env.PORT) || (await freePort());
  let out = '';
  const proc = spawn(process.execPath, ['--conditions=react-server', 'scripts/start.mjs'], {
    cwd: process.cwd(),
    env: { ...process.env, LOG_LEVEL: 'warn', DEMO_MODE: 'false', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = `http://localhost:${port}`;
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    try {
      process.kill(-proc.pid!, signal); // the whole group: start.mjs and next's server
    } catch {
      /* gone */
    }
    await exited;
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`portal exited with ${proc.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`portal did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, proc, output: () => out, stop };
}
