// The client's address of a request (used by scripts/client-address-preload.mjs).
//
// The client is the socket's peer, unless that peer is one of TRUSTED_PROXIES (CIDRs, comma-
// separated; none by default): then the header's entries are walked from the right, past trusted
// proxies, and the first untrusted one is the client (a proxy chain cannot be extended by the
// client it forwards for). lib/env.ts validates TRUSTED_PROXIES at start.
import net from 'node:net';

export function trustedProxies(spec) {
  const trusted = new net.BlockList();
  for (const cidr of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr, bits] = cidr.split('/');
    const type = net.isIPv6(addr) ? 'ipv6' : 'ipv4';
    trusted.addSubnet(addr, Number(bits ?? (type === 'ipv6' ? 128 : 32)), type);
  }
  return trusted;
}

const plain = (a) => (a?.startsWith('::ffff:') && net.isIPv4(a.slice(7)) ? a.slice(7) : a);
const isTrustedBy = (trusted, a) => {
  if (!a || !net.isIP(a)) return false;
  return trusted.check(a, net.isIPv6(a) ? 'ipv6' : 'ipv4') || (net.isIPv4(plain(a)) && plain(a) !== a && trusted.check(plain(a), 'ipv4'));
};

/** `trusted` from trustedProxies(); `forwardedFor` the X-Forwarded-For header as received. */
export function clientAddress(trusted, peer, forwardedFor) {
  const isTrusted = (a) => isTrustedBy(trusted, a);
  let client = plain(peer);
  if (!isTrusted(peer)) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '')).split(',').map((s) => plain(s.trim())).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!net.isIP(hops[i])) break; // garbage from the client: stop at the last good address
    client = hops[i];
    if (!isTrusted(hops[i])) break;
  }
  return client;
}

