import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { filterToSql } from './filter-sql';
import { SCIMMY } from './scimmy';

const dialect = new PgDialect();
const render = (kind: 'User' | 'Group', f: string) => {
  const s = filterToSql(kind, new SCIMMY.Types.Filter(f) as unknown as Record<string, unknown>[]);
  if (!s) return null;
  const { sql, params } = dialect.sqlToQuery(s);
  return { sql, params };
};

describe('filterToSql', () => {
  it('userName eq is a case-insensitive lookup on the lower(user_name) index', () => {
    const q = render('User', 'userName eq "Ada@Example.COM"')!;
    expect(q.sql).toBe('lower("scim_users"."user_name") = $1');
    expect(q.params).toEqual(['ada@example.com']);
  });
  it('externalId and id are case-exact', () => {
    expect(render('User', 'externalId eq "AbC"')).toEqual({ sql: '"scim_users"."external_id" = $1', params: ['AbC'] });
    expect(render('Group', 'id eq "scg_1"')).toEqual({ sql: '"scim_groups"."id" = $1', params: ['scg_1'] });
  });
  it('emails[type eq "work"].value eq uses the emails index and checks the type', () => {
    const q = render('User', 'emails[type eq "work"].value eq "A@x.com"')!;
    expect(q.sql).toContain('"scim_users"."emails" @> array[$1]::text[]');
    expect(q.sql).toContain("lower((e->>'type')) = $");
    expect(q.params).toEqual(['a@x.com', 'work', 'a@x.com']);
  });
  it('or, and, not, pr, and like patterns with escaping', () => {
    expect(render('User', 'userName eq "a" or userName eq "b"')!.sql).toBe('(lower("scim_users"."user_name") = $1 or lower("scim_users"."user_name") = $2)');
    expect(render('User', 'userName sw "a_b%" and active eq true')).toEqual({
      sql: '(lower("scim_users"."user_name") like $1 and "scim_users"."active" = $2)',
      params: ['a\\_b\\%%', true],
    });
    expect(render('User', 'not (externalId eq "x")')!.sql).toBe('not coalesce("scim_users"."external_id" = $1, false)');
    expect(render('User', 'externalId pr')!.sql).toContain('is not null');
    expect(render('User', 'active eq "False"')!.params).toEqual([false]);
  });
  it('enterprise and name attributes read the stored resource', () => {
    const q = render('User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42"')!;
    expect(q.sql).toContain('->>');
    expect(q.params).toContain('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User');
    expect(render('User', 'name.familyName co "love"')!.params).toEqual(['name', 'familyName', '%love%']);
  });
  it("Entra's group membership check", () => {
    const q = render('Group', 'id eq "g1" and members[value eq "u1"]')!;
    expect(q.sql).toContain('exists (select 1 from "scim_group_members" m where m.group_id = "scim_groups"."id" and m.user_id = $');
  });
  it('meta dates', () => {
    const q = render('User', 'meta.lastModified gt "2024-01-01T00:00:00Z"')!;
    expect(q.sql).toBe('"scim_users"."updated_at" > $1::timestamptz');
    expect(() => render('User', 'meta.created gt "yesterday"')).toThrow(/ISO 8601/);
  });
  it('null for what it cannot translate (the caller filters in memory)', () => {
    expect(render('User', 'phoneNumbers.value eq "1"')).toBeNull();
    expect(render('User', 'phoneNumbers np')).toBeNull();
    expect(render('User', 'emails.display eq "x"')).toBeNull();
    expect(render('Group', 'members.display eq "x"')).toBeNull();
  });
});
