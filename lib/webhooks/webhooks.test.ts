import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backoffMs, EVENT_PATTERN, EVENT_SUGGESTIONS, matchesEvent } from './filter';
import { decryptSecret, encryptSecret, newWebhookSecret } from './secret';
import { sign, signatureHeader, verifySignature } from './signature';
import { eventsSchema, webhookCreateSchema, webhookPatchSchema } from './validation';

const SECRET = 'whsec_test-secret';
const BODY = '{"id":"evt_1","type":"user.suspended"}';

describe('signing', () => {
  it('signs "<t>.<raw body>" with HMAC-SHA256 of the secret, hex', () => {
    const t = 1_700_000_000;
    const expected = createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex');
    expect(sign(SECRET, t, BODY)).toBe(expected);
    expect(signatureHeader(SECRET, BODY, t)).toBe(`t=${t},v1=${expected}`);
  });

  const now = 1_700_000_100;
  const good = signatureHeader(SECRET, BODY, now - 10);
  it.each<[string, string | null, string, string, boolean]>([
    ['a valid signature', good, BODY, SECRET, true],
    ['another secret', good, BODY, 'whsec_other', false],
    ['a changed body', good, BODY.replace('suspended', 'deleted'), SECRET, false],
    ['a body with extra whitespace', good, `${BODY} `, SECRET, false],
    ['no header', null, BODY, SECRET, false],
    ['an empty header', '', BODY, SECRET, false],
    ['no timestamp', good.replace(/^t=\d+,/, ''), BODY, SECRET, false],
    ['a changed timestamp', good.replace(/^t=(\d+)/, (_m, t) => `t=${Number(t) + 1}`), BODY, SECRET, false],
    ['a timestamp 6 minutes old', signatureHeader(SECRET, BODY, now - 360), BODY, SECRET, false],
    ['a timestamp 6 minutes ahead', signatureHeader(SECRET, BODY, now + 360), BODY, SECRET, false],
    ['an upper-case hex signature', good.replace(/v1=([0-9a-f]+)/, (_m, s) => `v1=${s.toUpperCase()}`), BODY, SECRET, false],
    ['a truncated signature', good.slice(0, -2), BODY, SECRET, false],
    ['a v0 scheme only', good.replace('v1=', 'v0='), BODY, SECRET, false],
    ['a second, valid v1 among bad ones', `t=${now - 10},v1=${'0'.repeat(64)},v1=${sign(SECRET, now - 10, BODY)}`, BODY, SECRET, true],
  ])('verifySignature: %s → %s', (_n, header, body, secret, ok) => {
    expect(verifySignature(header, body, secret, { now })).toBe(ok);
  });

  it('honours the tolerance', () => {
    expect(verifySignature(signatureHeader(SECRET, BODY, now - 3600), BODY, SECRET, { now, toleranceSeconds: 7200 })).toBe(true);
  });
});

describe('the events the endpoint form offers', () => {
  // Every action string the portal's code records ('user.suspended', …), read from its sources.
  const recorded = new Set<string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) for (const m of readFileSync(f, 'utf8').matchAll(/'([a-z_]+\.[a-z_]+)'/g)) recorded.add(m[1]);
    }
  };
  walk(path.resolve(__dirname, '..'));

  it.each(EVENT_SUGGESTIONS.map((e) => [e]))('%s is a valid filter that matches something the portal records', (e) => {
    expect(EVENT_PATTERN.test(e)).toBe(true);
    expect([...recorded].some((a) => matchesEvent([e], a))).toBe(true);
  });
});

describe('event filters', () => {
  it.each<[string[], string, boolean]>([
    [['*'], 'user.created', true],
    [['*'], 'sso.login_failed', true],
    [['user.*'], 'user.suspended', true],
    [['user.*'], 'user.roles_changed', true],
    [['user.*'], 'users.created', false],
    [['user.*'], 'sso.login_succeeded', false],
    [['user.suspended'], 'user.suspended', true],
    [['user.suspended'], 'user.suspended_by_scim', false],
    [['user.suspended'], 'user.deleted', false],
    [['connection.*', 'user.deleted'], 'user.deleted', true],
    [['connection.*', 'user.deleted'], 'connection.created', true],
    [['connection.*', 'user.deleted'], 'tenant.created', false],
    [[], 'user.created', false],
  ])('%j matches %s → %s', (patterns, action, ok) => {
    expect(matchesEvent(patterns, action)).toBe(ok);
  });

  it.each([
    ['*', true],
    ['user.*', true],
    ['user.suspended', true],
    ['sso.login_failed', true],
    ['user', false],
    ['user.', false],
    ['*.created', false],
    ['user.*.x', false],
    ['User.created', false],
    ['user.created.extra', false],
    ['', false],
    ['**', false],
  ])('pattern %j is valid → %s', (p, ok) => {
    expect(eventsSchema.safeParse([p]).success).toBe(ok);
  });

  it('refuses an empty list and repeated patterns', () => {
    expect(eventsSchema.safeParse([]).success).toBe(false);
    expect(eventsSchema.safeParse(['user.*', 'user.*']).success).toBe(false);
  });
});

describe('backoff', () => {
  it('starts at 2 s, doubles, and is capped at 1 h', () => {
    expect(backoffMs(1, 0.5)).toBe(2000);
    expect(backoffMs(2, 0.5)).toBe(4000);
    expect(backoffMs(3, 0.5)).toBe(8000);
    expect(backoffMs(11, 0.5)).toBe(2000 * 1024);
    expect(backoffMs(12, 0.5)).toBe(3_600_000);
    expect(backoffMs(50, 0.5)).toBe(3_600_000);
    expect(backoffMs(1000, 0.99)).toBe(3_600_000);
  });

  it('jitters by ±25 %', () => {
    expect(backoffMs(1, 0)).toBe(1500);
    expect(backoffMs(1, 1)).toBe(2500);
    expect(backoffMs(4, 0)).toBe(12_000);
    const seen = new Set(Array.from({ length: 50 }, () => backoffMs(5)));
    expect(seen.size).toBeGreaterThan(1);
    for (const v of seen) expect(v).toBeGreaterThanOrEqual(24_000), expect(v).toBeLessThanOrEqual(40_000);
  });
});

describe('secret encryption', () => {
  const key = 'a'.repeat(40);
  it('round-trips, with a fresh IV each time', () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const a = encryptSecret(s, key);
    const b = encryptSecret(s, key);
    expect(a).not.toBe(b);
    expect(a).not.toContain(s.slice(6));
    expect(decryptSecret(a, key)).toBe(s);
    expect(decryptSecret(b, key)).toBe(s);
  });

  it('refuses another AUTH_SECRET and a tampered value', () => {
    const enc = encryptSecret('whsec_x', key);
    expect(() => decryptSecret(enc, 'b'.repeat(40))).toThrow();
    const parts = enc.split('.');
    const ct = Buffer.from(parts[3], 'base64url');
    ct[0] ^= 1;
    expect(() => decryptSecret([parts[0], parts[1], parts[2], ct.toString('base64url')].join('.'), key)).toThrow();
    expect(() => decryptSecret('garbage', key)).toThrow();
  });
});

describe('input schemas', () => {
  it.each<[unknown, string | null]>([
    [{ url: 'https://siem.example.com/hook' }, null],
    [{ url: 'https://siem.example.com/hook', kind: 'audit_stream', events: ['*'] }, null],
    [{}, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'ftp://x.example.com/' }, 'url'],
    [{ url: 'https://user:pw@x.example.com/' }, 'url'],
    [{ url: 'https://x.example.com/', kind: 'email' }, 'kind'],
    [{ url: 'https://x.example.com/', events: ['user'] }, 'events.0'],
    [{ url: 'https://x.example.com/', events: 'user.*' }, 'events'],
    [{ url: 'https://x.example.com/', description: 'x'.repeat(201) }, 'description'],
  ])('create %j → error at %s', (input, path) => {
    const r = webhookCreateSchema.safeParse(input);
    if (path === null) expect(r.success).toBe(true);
    else expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('PATCH names unknown fields, the kind included', () => {
    expect(webhookPatchSchema.safeParse({ kind: 'audit_stream' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['kind']);
    expect(webhookPatchSchema.safeParse({ enabled: 'yes' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['enabled']);
    expect(webhookPatchSchema.parse({ enabled: false })).toEqual({ enabled: false });
    expect(webhookPatchSchema.safeParse({ enabled: false, events: ['user.*'] }).success).toBe(true);
  });
});
