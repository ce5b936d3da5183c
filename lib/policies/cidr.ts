/**
 * IP addresses and CIDR ranges for the sign-in and console allowlists. Pure: no I/O.
 *
 * Addresses are parsed strictly (no octal-looking IPv4 octets, no host bits set in a range) so
 * that what an admin saves means exactly what it says. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, how a dual-stack socket reports an IPv4 client) is treated as the IPv4
 * address it carries, so it matches IPv4 ranges; `::ffff:0:0/96` ranges match IPv4 clients too.
 */

export type IpFamily = 4 | 6;
export type ParsedIp = { family: IpFamily; value: bigint };
export type Cidr = { family: IpFamily; base: bigint; prefix: number };

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };
const MAPPED_PREFIX = 0xffffn << 32n; // ::ffff:0:0/96

function parseIpv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIpv6(s: string): bigint | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const g = pieces[i];
      if (i === pieces.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  if (!head || !tail) return null;
  // an embedded IPv4 part may only end the address
  if (halves.length === 2 && halves[0].includes('.')) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses one IP address (no range). Accepts what proxies put in X-Forwarded-For: `[v6]:port`, `v4:port`, `v6%zone`. */
export function parseIp(input: string | null | undefined): ParsedIp | null {
  if (!input) return null;
  let s = input.trim();
  const bracket = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracket) s = bracket[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  s = s.replace(/%[\w.-]+$/, '');
  const v4 = parseIpv4(s);
  if (v4 !== null) return { family: 4, value: v4 };
  const v6 = parseIpv6(s);
  if (v6 !== null) return { family: 6, value: v6 };
  return null;
}

/** `::ffff:a.b.c.d` as the IPv4 address it carries; anything else unchanged. */
export function unmapIp(ip: ParsedIp): ParsedIp {
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & 0xffffffffn };
  return ip;
}

export type CidrParse = { ok: true; cidr: Cidr; canonical: string } | { ok: false; message: string };

/** A CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or a single address (taken as /32 or /128). */
export function parseCidr(input: string): CidrParse {
  const s = input.trim();
  if (!s) return { ok: false, message: 'is empty' };
  if (s.length > 64) return { ok: false, message: 'is too long for an IP range' };
  const slash = s.indexOf('/');
  const addrPart = slash === -1 ? s : s.slice(0, slash);
  const prefixPart = slash === -1 ? null : s.slice(slash + 1);
  const v4 = parseIpv4(addrPart);
  const v6 = v4 === null ? parseIpv6(addrPart) : null;
  if (v4 === null && v6 === null) return { ok: false, message: `"${s}" is not an IPv4 or IPv6 address or CIDR range` };
  const family: IpFamily = v4 !== null ? 4 : 6;
  const value = (v4 ?? v6)!;
  const bits = BITS[family];
  let prefix = bits;
  if (prefixPart !== null) {
    if (!/^(0|[1-9]\d{0,2})$/.test(prefixPart) || Number(prefixPart) > bits) {
      return { ok: false, message: `"${s}": the prefix length must be 0 to ${bits}` };
    }
    prefix = Number(prefixPart);
  }
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) {
    const base = value & ~hostMask & ((1n << BigInt(bits)) - 1n);
    return { ok: false, message: `"${s}" has host bits set; did you mean ${formatIp({ family, value: base })}/${prefix}?` };
  }
  const cidr = { family, base: value, prefix };
  return { ok: true, cidr, canonical: formatCidr(cidr) };
}

export function formatIp(ip: ParsedIp): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((sh) => String((ip.value >> sh) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((ip.value >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first one on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best === -1) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export const formatCidr = (c: Cidr) => `${formatIp({ family: c.family, value: c.base })}/${c.prefix}`;

function inRange(ip: ParsedIp, c: Cidr): boolean {
  if (ip.family !== c.family) return false;
  const shift = BigInt(BITS[c.family] - c.prefix);
  return ip.value >> shift === c.base >> shift;
}

/** Does the address fall in the range? IPv4 and its IPv4-mapped IPv6 form are the same address. */
export function cidrContains(c: Cidr, address: ParsedIp): boolean {
  const plain = unmapIp(address);
  if (inRange(plain, c)) return true;
  // An IPv6 range written over the mapped space (e.g. ::ffff:10.0.0.0/104) against an IPv4 client.
  if (plain.family === 4 && c.family === 6) return inRange({ family: 6, value: MAPPED_PREFIX | plain.value }, c);
  return false;
}

/**
 * Is `address` allowed by `list`? An empty or absent list allows everyone. An unknown or
 * unparsable address is allowed only when there is no list. Unparsable entries (never saved:
 * the schema refuses them) are ignored.
 */
export function ipAllowed(list: readonly string[] | null | undefined, address: string | null | undefined): boolean {
  if (!list || list.length === 0) return true;
  const ip = parseIp(address);
  if (!ip) return false;
  return list.some((entry) => {
    const p = parseCidr(entry);
    return p.ok && cidrContains(p.cidr, ip);
  });
}

/**
 * May this principal use the tenant console from this address? Operators are never bound by a
 * tenant's console allowlist; tenant admins (setup-link and SSO-admin sessions) are.
 */
export function consoleAccessAllowed(
  principalKind: 'operator' | 'tenant_admin',
  policy: { consoleIpAllowlist?: readonly string[] } | null | undefined,
  address: string | null | undefined,
): boolean {
  return principalKind === 'operator' || ipAllowed(policy?.consoleIpAllowlist, address);
}
