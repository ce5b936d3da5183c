import { describe, expect, it } from 'vitest';
import { domainSchema, listQuerySchema, slugify, slugSchema } from './common';
import { auditListQuerySchema } from './audit';
import { tenantCreateSchema, tenantListQuerySchema } from './tenants';
import { userListQuerySchema } from './users';

describe('domainSchema', () => {
  it.each(['acme.com', 'eu.acme.co.uk', 'xn--bcher-kva.example', 'a-b.io'])('accepts %s', (d) => {
    expect(domainSchema.safeParse(d).success).toBe(true);
  });
  it('stores a domain lower-case: domains are case-insensitive', () => {
    expect(domainSchema.parse(' ACME.com ')).toBe('acme.com');
  });
  it.each([
    ['https://acme.com', 'without scheme'],
    ['acme.com/path', 'without scheme'],
    ['*.acme.com', 'wildcards'],
    ['localhost', 'valid domain'],
    ['-acme.com', 'valid domain'],
    ['acme..com', 'valid domain'],
    ['acme.123', 'valid domain'],
    ['gmail.com', 'consumer'],
    ['outlook.com', 'consumer'],
    ['', 'empty'],
  ])('refuses %s (%s)', (d, why) => {
    const r = domainSchema.safeParse(d);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join(' ')).toMatch(new RegExp(why));
  });
});

describe('slugs', () => {
  it.each([
    ['Acme Corp.', 'acme-corp'],
    ['  Ünïcödé  Gmbh ', 'unicode-gmbh'],
    ['!!!', 'tenant'],
    ['a'.repeat(80), 'a'.repeat(40)],
  ])('slugify(%j) = %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
    expect(slugSchema.safeParse(slugify(name)).success).toBe(true);
  });
  it.each(['Acme', 'acme_corp', '-acme', 'acme-', 'a'.repeat(49)])('refuses slug %j', (s) => {
    expect(slugSchema.safeParse(s).success).toBe(false);
  });
});

describe('tenantCreateSchema', () => {
  it('names the path of each bad field', () => {
    const r = tenantCreateSchema.safeParse({ name: '', domains: ['ok.com', 'gmail.com'] });
    expect(r.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['domains.1', 'name']);
  });
});

describe('listQuerySchema', () => {
  it('says what limit must be', () => {
    const message = (limit: string) => {
      const r = listQuerySchema.safeParse({ limit });
      return r.success ? r.data.limit : r.error.issues[0].message;
    };
    expect([message('201'), message('0'), message('abc'), message('1.5'), message('200')]).toEqual([
      'must be from 1 to 200',
      'must be from 1 to 200',
      'must be a number',
      'must be a whole number',
      200,
    ]);
    expect(listQuerySchema.parse({}).limit).toBe(50);
    // Every list takes limit the same way.
    for (const schema of [tenantListQuerySchema, userListQuerySchema, auditListQuerySchema]) {
      const r = schema.safeParse({ limit: '201' });
      expect(r.success ? null : r.error.issues[0].message).toBe('must be from 1 to 200');
    }
  });
});
