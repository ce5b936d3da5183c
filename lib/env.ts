import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The only reader of process.env. Parsed once; a bad value throws an error naming the variable.
 */
const schema = z.object({
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  /** Any length is accepted (the contract gives none); start-up warns below 16 characters. */
  OPERATOR_API_KEY: z.string().min(1).optional(),
  OPERATOR_EMAIL: z.email().optional(),
  OPERATOR_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Any length is accepted; start-up warns below 32 characters. */
  AUTH_SECRET: z.string().min(1).optional(),
  DEMO_MODE: z.enum(['true', 'false', '1', '0']).optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /**
   * Let metadata/discovery/webhook URLs point at private or loopback addresses (and http:// on
   * loopback). Off unless set: start-up warns when it is on.
   */
  ALLOW_PRIVATE_URLS: z.enum(['true', 'false', '1', '0']).optional(),
  /** Proxies in front of the portal whose X-Forwarded-For is believed (CIDRs, comma-separated). */
  TRUSTED_PROXIES: z
    .string()
    .refine((s) => s.split(',').map((x) => x.trim()).filter(Boolean).every((c) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(c) && isIP(c.split('/')[0]) !== 0), 'must be a comma-separated list of IP addresses or CIDRs')
    .optional(),
  /** Demo mode: where the example product (`npm run example`) is registered to run. */
  EXAMPLE_APP_URL: z
    .url({ protocol: /^https?$/ })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('http://localhost:3001'),
  /** Bearer token of `GET /metrics` (Prometheus); unset: the endpoint answers 404. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Connections to PostgreSQL this instance keeps at most (several instances: each its own pool). */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(1000).default(20),
  /** The longest a PostgreSQL statement may run; a connection silent 2 s longer than this with a statement outstanding is dropped as stalled. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** Days the operator's own audit chain keeps its events (sign-in failures, tenants, applications…); tenants set theirs. */
  OPERATOR_AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(365),
  /** `off` stops this instance from running scheduled jobs (webhook delivery, retention, …). */
  JOBS: z.enum(['on', 'off']).default('on'),
  /** DNS servers for domain verification (comma-separated host or host:port); default: the system's. */
  DNS_SERVERS: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .optional(),
});

export type Env = Omit<z.infer<typeof schema>, 'PUBLIC_URL' | 'AUTH_SECRET' | 'DEMO_MODE' | 'ALLOW_PRIVATE_URLS' | 'JOBS'> & {
  ALLOW_PRIVATE_URLS: boolean;
  JOBS: boolean;
  PUBLIC_URL: string;
  AUTH_SECRET: string;
  DATA_DIR: string;
  demoMode: boolean;
  /**
   * Browser-facing URLs from outside (IdP SSO/logout locations, redirect URIs) may be plain http
   * on a loopback host: on a development instance (PUBLIC_URL on loopback) or with
   * ALLOW_PRIVATE_URLS. Such URLs are never fetched by the portal, so this opens no SSRF.
   */
  loopbackHttp: boolean;
};

export class EnvError extends Error {}

function emptyToUndefined(source: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = source[key];
    out[key] = v === undefined || v === '' ? undefined : v;
  }
  return out;
}

/**
 * The session secret: from AUTH_SECRET, else generated once and kept under DATA_DIR. Instances
 * starting at the same moment on a fresh directory agree on it: the file appears whole (written
 * aside, then linked into place, which fails when another instance was first) and each reads it.
 */
function authSecret(dataDir: string, given: string | undefined): string {
  if (given) return given;
  const file = path.join(dataDir, 'auth-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(aside, randomBytes(32).toString('base64url'), { mode: 0o600 });
    try {
      linkSync(aside, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(aside, { force: true });
    }
  }
  const secret = readFileSync(file, 'utf8').trim();
  if (!secret) throw new EnvError(`Invalid environment:\n  ${file} is empty: delete it (a new secret is generated) or set AUTH_SECRET`);
  return secret;
}

export function parseEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = schema.safeParse(emptyToUndefined(source));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new EnvError(`Invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if ((e.OPERATOR_EMAIL === undefined) !== (e.OPERATOR_PASSWORD === undefined)) {
    throw new EnvError('Invalid environment:\n  OPERATOR_EMAIL and OPERATOR_PASSWORD must be set together');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  const publicUrl = e.PUBLIC_URL ?? `http://localhost:${e.PORT}`;
  // Off unless set explicitly: a production instance that forgot PUBLIC_URL must not reach internal addresses.
  const allowPrivate = e.ALLOW_PRIVATE_URLS === 'true' || e.ALLOW_PRIVATE_URLS === '1';
  return {
    ...e,
    DATA_DIR: dataDir,
    PUBLIC_URL: publicUrl,
    AUTH_SECRET: authSecret(dataDir, e.AUTH_SECRET),
    // Demo mode (a seeded demo tenant and the built-in demo IdP) is on by default on embedded storage.
    // Demo mode (a seeded demo tenant, anyone may sign in to it through the built-in demo IdP) is on
    // by default only for a development instance: embedded storage and PUBLIC_URL on loopback.
    demoMode: e.DEMO_MODE === undefined ? !e.DATABASE_URL && isLoopbackUrl(publicUrl) : e.DEMO_MODE === 'true' || e.DEMO_MODE === '1',
    ALLOW_PRIVATE_URLS: allowPrivate,
    loopbackHttp: allowPrivate || isLoopbackUrl(publicUrl),
    JOBS: e.JOBS === 'on',
  };
}

/** A URL on this machine (localhost, 127.0.0.0/8, ::1): the portal runs as a development instance. */
function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const g = globalThis as unknown as { __portalEnv?: Env };

export function env(): Env {
  g.__portalEnv ??= parseEnv();
  return g.__portalEnv;
}
