import { describe, expect, it } from 'vitest';
import { cookieHeaderAfter } from './http-bridge';

describe('cookieHeaderAfter: the Cookie header a browser would send next', () => {
  it('replaces a cookie that was set again, drops a cleared one, adds a new one', () => {
    const next = cookieHeaderAfter('a=1; b=2; c=3', ['b=20; Path=/; HttpOnly', 'c=; Max-Age=0; Path=/', 'd=4; Path=/oidc/auth/x']);
    expect(next).toBe('a=1; b=20; d=4');
  });

  it('keeps the first of a name sent twice (as the provider reads it), and skips what is no cookie', () => {
    expect(cookieHeaderAfter('oidc_session=REAL; oidc_session=PLANTED; x; =y; e=5', [])).toBe('oidc_session=REAL; e=5');
  });

  it('treats a cookie expired in 1970 as cleared', () => {
    expect(cookieHeaderAfter('a=1', ['a=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/'])).toBe('');
  });
});
