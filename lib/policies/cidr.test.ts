import { describe, expect, it } from 'vitest';
import { consoleAccessAllowed, formatIp, ipAllowed, parseCidr, parseIp } from './cidr';

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.0.2.7', '192.0.2.7/32'],
    [' 192.0.2.0/24 ', '192.0.2.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['2001:DB8:0:0:0:0:0:0/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['::/0', '::/0'],
    ['::ffff:10.0.0.0/104', '::ffff:a00:0/104'],
    ['fe80::/10', 'fe80::/10'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0/128'],
  ])('accepts %s as %s', (input, canonical) => {
    const p = parseCidr(input);
    expect(p.ok && p.canonical).toBe(canonical);
  });

  it.each([
    ['', /empty/],
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['2001:db8::/129', /0 to 128/],
    ['10.0.0.1/8', /host bits set; did you mean 10\.0\.0\.0\/8/],
    ['2001:db8::1/32', /did you mean 2001:db8::\/32/],
    ['256.0.0.0/8', /not an IPv4 or IPv6/],
    ['010.0.0.0/8', /not an IPv4 or IPv6/],
    ['10.0.0/8', /not an IPv4 or IPv6/],
    ['10.0.0.0/08', /prefix length/],
    ['10.0.0.0/', /prefix length/],
    ['1::2::3', /not an IPv4 or IPv6/],
    ['1:2:3:4:5:6:7:8:9', /not an IPv4 or IPv6/],
    ['1.2.3.4::', /not an IPv4 or IPv6/],
    ['example.com', /not an IPv4 or IPv6/],
    ['10.0.0.0/8/8', /prefix length/],
  ])('refuses %j', (input, message) => {
    const p = parseCidr(input);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(message);
  });
});

describe('parseIp', () => {
  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['203.0.113.9:51234', '203.0.113.9'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'],
  ])('%s', (input, formatted) => {
    const ip = parseIp(input);
    expect(ip && formatIp(ip)).toBe(formatted);
  });
  it.each([null, '', 'unknown', '1.2.3', '2001:db8::g'])('%j is no address', (input) => expect(parseIp(input)).toBeNull());
});

describe('ipAllowed', () => {
  const v4 = ['10.0.0.0/8', '192.0.2.7/32'];
  const v6 = ['2001:db8::/32'];
  it.each([
    // list, address, allowed
    [[], '198.51.100.1', true],
    [undefined, null, true],
    [v4, '10.1.2.3', true],
    [v4, '11.0.0.1', false],
    [v4, '192.0.2.7', true],
    [v4, '192.0.2.8', false],
    [v4, '::ffff:10.9.8.7', true], // IPv4-mapped IPv6 client
    [v4, '::ffff:11.9.8.7', false],
    [v4, '10.1.2.3:4444', true],
    [v6, '2001:db8:1::5', true],
    [v6, '2001:db9::5', false],
    [v6, '10.0.0.1', false],
    [['::ffff:10.0.0.0/104'], '10.20.30.40', true], // IPv6 range over the mapped space, IPv4 client
    [['::ffff:10.0.0.0/104'], '11.20.30.40', false],
    [['0.0.0.0/0'], '203.0.113.1', true],
    [['0.0.0.0/0'], '2001:db8::1', false],
    [['::/0'], '2001:db8::1', true],
    [v4, null, false], // a list and an unknown client address: refused
    [v4, 'garbage', false],
  ] as [string[] | undefined, string | null, boolean][])('%j %j → %s', (list, address, allowed) => {
    expect(ipAllowed(list, address)).toBe(allowed);
  });
});

describe('consoleAccessAllowed', () => {
  const policy = { consoleIpAllowlist: ['198.51.100.0/24'] };
  it.each([
    ['tenant_admin', policy, '198.51.100.4', true],
    ['tenant_admin', policy, '::ffff:198.51.100.4', true],
    ['tenant_admin', policy, '203.0.113.9', false],
    ['tenant_admin', policy, null, false],
    ['tenant_admin', {}, '203.0.113.9', true],
    ['operator', policy, '203.0.113.9', true], // operators are not tenant-restricted
  ] as const)('%s %j from %s → %s', (kind, p, ip, allowed) => expect(consoleAccessAllowed(kind, p, ip)).toBe(allowed));
});
