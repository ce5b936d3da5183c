import { describe, expect, it } from 'vitest';
import { safeReturnTo } from './flow';

describe('returnTo after sign-in', () => {
  it.each([
    ['/app', '/app'],
    ['/t/acme/users?x=1#top', '/t/acme/users?x=1#top'],
    [null, '/app'],
    ['', '/app'],
    ['https://evil.example.com/', '/app'],
    ['//evil.example.com/path', '/app'],
    ['/\\evil.example.com', '/app'],
    ['javascript:alert(1)', '/app'],
    ['app', '/app'],
    ['/ok\r\nSet-Cookie: x=1', '/app'],
  ])('%j → %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
});
