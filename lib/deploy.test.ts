import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env';

/**
 * There is no container engine here, so the image is tested by what it runs: the Dockerfile's CMD
 * must be the very command the end-to-end tests start the portal with (e2e/support/portal.ts),
 * its health check the liveness endpoint, and every variable compose.yaml sets one the portal reads.
 */
const root = path.resolve(__dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

describe('the container image and compose file', () => {
  it('the image starts the portal exactly as the tests do, as a non-root user, with a health check', () => {
    const dockerfile = read('Dockerfile');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    const spawned = /spawn\(process\.execPath, (\[[^\]]*\])/.exec(read('e2e/support/portal.ts'))![1].replace(/'/g, '"');
    expect(cmd).toEqual(['node', ...JSON.parse(spawned)]);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/api\/health/);
    expect(dockerfile).toMatch(/RUN npx next build/);
    // A container's localhost is not the user's machine: no demo tenant anyone may sign in to, unless asked for.
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtime).toMatch(/^ENV .*\bDEMO_MODE=false\b/m);
    const inContainer = parseEnv({ DATA_DIR: '/tmp/portal-image-test', PORT: '3000', DEMO_MODE: 'false' } as unknown as NodeJS.ProcessEnv);
    expect(inContainer.demoMode).toBe(false);
  });

  it('compose.yaml sets only variables the portal reads, and they parse', () => {
    const compose = read('compose.yaml');
    const portal = compose.slice(compose.indexOf('  portal:'));
    const keys = [...portal.matchAll(/^ {6}([A-Z_]+):/gm)].map((m) => m[1]);
    expect(keys).toEqual(expect.arrayContaining(['DATABASE_URL', 'PUBLIC_URL', 'AUTH_SECRET']));
    const env = parseEnv({ DATABASE_URL: 'postgres://portal:portal@postgres:5432/portal', PUBLIC_URL: 'http://localhost:3000', AUTH_SECRET: 'x'.repeat(32), DATA_DIR: '/tmp/portal-compose-test' } as unknown as NodeJS.ProcessEnv);
    expect(env.DATABASE_URL).toMatch(/^postgres:/);
    const src = read('lib/env.ts');
    for (const k of keys) expect(src, `${k} is read by lib/env.ts`).toMatch(new RegExp(`\\b${k}:`));
  });
});
