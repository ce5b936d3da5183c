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
    // Paths that become protocol-relative (another host) once normalised.
    ['/..//evil.example/phish', '/app'],
    ['/./\\evil.example', '/app'],
    ['/.//evil.example', '/app'],
    ['/%2e%2e//evil.example/phish', '/app'],
    ['/%2E%2E/%2Fevil.example', '/app'],
    ['/..%2f%2fevil.example', '/app'],
    ['/..%5c%5cevil.example', '/app'],
    ['/\t/evil.example', '/app'],
    ['/\t\\evil.example', '/app'],
    ['/a/../..//evil.example', '/app'],
    ['/%09/evil.example', '/app'],
    ['/\u0000/x', '/app'],
    // Ordinary paths keep working, normalised.
    ['/t/acme/../acme/users', '/t/acme/users'],
    ['/app?next=//evil.example', '/app?next=//evil.example'],
  ])('%j → %j', (input, expected) => {
    expect(safeReturnTo(input)).toBe(expected);
  });
});
