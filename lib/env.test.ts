import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

const base = { NODE_ENV: 'test', AUTH_SECRET: 'x'.repeat(32), DATA_DIR: '/tmp/portal-env-test' } as const;
const parse = (vars: Record<string, string>) => parseEnv({ ...base, ...vars } as NodeJS.ProcessEnv);

describe('ALLOW_PRIVATE_URLS', () => {
  // Finding: it was on whenever PUBLIC_URL was unset or on loopback — also what a production
  // deployment that forgot PUBLIC_URL looks like. Now it is off unless set explicitly.
  it.each([
    [{}, false],
    [{ PUBLIC_URL: 'http://127.0.0.1:3100' }, false],
    [{ PUBLIC_URL: 'http://[::1]:3000' }, false],
    [{ PUBLIC_URL: 'https://sso.example.com' }, false],
    [{ PUBLIC_URL: 'http://10.0.0.5:3000' }, false],
    [{ ALLOW_PRIVATE_URLS: 'false' }, false],
    [{ ALLOW_PRIVATE_URLS: 'true' }, true],
    [{ PUBLIC_URL: 'https://sso.example.com', ALLOW_PRIVATE_URLS: '1' }, true],
  ])('%j → %s (off unless set)', (vars, allowed) => {
    expect(parse(vars).ALLOW_PRIVATE_URLS).toBe(allowed);
  });

  it.each([
    [{}, true],
    [{ PUBLIC_URL: 'http://127.0.0.1:3100' }, true],
    [{ PUBLIC_URL: 'https://sso.example.com' }, false],
    [{ PUBLIC_URL: 'https://sso.example.com', ALLOW_PRIVATE_URLS: 'true' }, true],
  ])('%j: browser-facing http on loopback (an IdP on this machine) %s', (vars, allowed) => {
    expect(parse(vars).loopbackHttp).toBe(allowed);
  });
});

describe('secrets', () => {
  it('accepts an operator key and a session secret of any length', () => {
    const e = parse({ OPERATOR_API_KEY: 'k', AUTH_SECRET: 's' });
    expect(e.OPERATOR_API_KEY).toBe('k');
    expect(e.AUTH_SECRET).toBe('s');
  });
});

describe('AUTH_SECRET when unset', () => {
  it('is generated once under DATA_DIR: instances started at the same moment on a fresh directory agree on it', async () => {
    const { spawn } = await import('node:child_process');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-secret-'));
    try {
      // Each child parses its environment as a starting instance does, printing the secret it got.
      const code = `import('${path.resolve(__dirname, 'env.ts')}').then((m) => process.stdout.write(m.parseEnv({ NODE_ENV: 'production', DATA_DIR: ${JSON.stringify(dir)} }).AUTH_SECRET))`;
      const one = () =>
        new Promise<{ out: string; err: string; status: number | null }>((resolve) => {
          const c = spawn(process.execPath, ['--import', 'tsx', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          let err = '';
          c.stdout.on('data', (d) => (out += d));
          c.stderr.on('data', (d) => (err += d));
          c.on('close', (status) => resolve({ out, err, status }));
        });
      const runs = await Promise.all(Array.from({ length: 6 }, one));
      for (const r of runs) expect(r.status, r.err).toBe(0);
      const secrets = new Set(runs.map((r) => r.out));
      expect(secrets.size).toBe(1);
      const [secret] = secrets;
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(path.join(dir, 'auth-secret'), 'utf8').trim()).toBe(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('a damaged auth-secret file', () => {
  it('an empty one is refused, naming the file (never an empty secret)', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portal-secret-'));
    try {
      writeFileSync(path.join(dir, 'auth-secret'), '\n');
      expect(() => parseEnv({ NODE_ENV: 'production', DATA_DIR: dir } as NodeJS.ProcessEnv)).toThrow(/auth-secret.*empty/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
