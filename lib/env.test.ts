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
