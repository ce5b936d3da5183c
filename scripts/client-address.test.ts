import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { clientAddress, trustedProxies } from './client-address.mjs';

describe('clientAddress', () => {
  const none = trustedProxies('');
  const lb = trustedProxies('10.0.0.0/8, ::1');
  it('is the socket peer when no proxy is trusted, whatever the client claims', () => {
    expect(clientAddress(none, '198.51.100.7', '203.0.113.9')).toBe('198.51.100.7');
    expect(clientAddress(none, '::ffff:198.51.100.7', undefined)).toBe('198.51.100.7');
    expect(clientAddress(none, '127.0.0.1', '203.0.113.9, 10.0.0.1')).toBe('127.0.0.1');
  });
  it('walks X-Forwarded-For from the right past trusted proxies only', () => {
    expect(clientAddress(lb, '10.1.2.3', '203.0.113.9')).toBe('203.0.113.9');
    // the client prepended a fake entry: the proxy appended the real one last
    expect(clientAddress(lb, '10.1.2.3', '192.0.2.1, 203.0.113.9')).toBe('203.0.113.9');
    expect(clientAddress(lb, '10.1.2.3', '203.0.113.9, 10.9.9.9')).toBe('203.0.113.9');
    expect(clientAddress(lb, '::1', '2001:db8::5')).toBe('2001:db8::5');
  });
  it('stops at garbage and falls back to the last good address', () => {
    expect(clientAddress(lb, '10.1.2.3', 'not-an-ip, 203.0.113.9')).toBe('203.0.113.9');
    expect(clientAddress(lb, '10.1.2.3', 'evil')).toBe('10.1.2.3');
    expect(clientAddress(lb, '10.1.2.3', undefined)).toBe('10.1.2.3');
  });
});
