/**
 * Which peers may speak the PROXY protocol. A PROXY header rewrites the client address that SPF is
 * evaluated against, so accepting it from anyone would let any client claim any IP.
 */
import { BlockList, isIP } from 'node:net';

export interface ProxyTrust {
  trusts(peerAddress: string): boolean;
}

/** Builds the trust list from CIDRs (`10.0.0.0/8`, `fd00::/8`) or single addresses. */
export function createProxyTrust(cidrs: string[]): ProxyTrust {
  const list = new BlockList();
  for (const entry of cidrs) {
    const [ip, bits] = entry.trim().split('/');
    const family = ip ? isIP(ip) : 0;
    if (!ip || family === 0) throw new Error(`trusted proxy "${entry}" is not an IP address or CIDR: write it like 10.0.0.0/8`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(ip, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`trusted proxy "${entry}" has a bad prefix length`);
      }
      list.addSubnet(ip, prefix, type);
    }
  }
  return {
    trusts(peer) {
      // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
      const addr = peer.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
      const family = isIP(addr);
      if (family === 0) return false;
      return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
