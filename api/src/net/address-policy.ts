/**
 * Which IP addresses a webhook may be dialled at. Only global unicast is allowed: loopback, RFC 1918,
 * link-local (169.254.169.254, the cloud metadata endpoint, lives there), CGNAT 100.64/10, ULA
 * fc00::/7, multicast, broadcast, 0/8, unspecified and the reserved ranges are refused, and so is
 * any IPv6 form that carries one of those IPv4 addresses inside it (IPv4-mapped ::ffff:0:0/96,
 * IPv4-compatible ::/96, SIIT ::ffff:0:0:0/96, 6to4 2002::/16, NAT64 64:ff9b::/96): a NAT64 or
 * 6to4 gateway would forward the packet to the embedded address.
 */
import ipaddr from 'ipaddr.js';

export type AddressVerdict = { allowed: true } | { allowed: false; range: string };

export function checkAddress(text: string): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(text.replace(/^\[|\]$/g, '').replace(/%.*$/, ''));
  } catch {
    return { allowed: false, range: 'not an IP address' };
  }
  return parsed.kind() === 'ipv4' ? checkV4(parsed as ipaddr.IPv4) : checkV6(parsed as ipaddr.IPv6);
}

function checkV4(ip: ipaddr.IPv4): AddressVerdict {
  const range = ip.range();
  return range === 'unicast' ? { allowed: true } : { allowed: false, range };
}

function checkV6(ip: ipaddr.IPv6): AddressVerdict {
  const range = ip.range();
  const p = ip.parts;
  const embedded = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  const via = (outer: string, inner: ipaddr.IPv4): AddressVerdict => {
    const v = checkV4(inner);
    return v.allowed ? v : { allowed: false, range: `${outer} of ${inner.toString()} (${v.range})` };
  };
  switch (range) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return via(range, embedded(p[6]!, p[7]!));
    case '6to4':
      return via('6to4', embedded(p[1]!, p[2]!));
    case 'rfc6052': {
      // 64:ff9b::/96 is the well-known NAT64 prefix; 64:ff9b:1::/48 is for local use only.
      const wellKnown = p[0] === 0x64 && p[1] === 0xff9b && p[2] === 0 && p[3] === 0 && p[4] === 0 && p[5] === 0;
      return wellKnown ? via('NAT64', embedded(p[6]!, p[7]!)) : { allowed: false, range: 'local-use NAT64' };
    }
    case 'unicast':
      // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1) is not in ipaddr's table.
      if (p.slice(0, 6).every((x) => x === 0)) return { allowed: false, range: 'IPv4-compatible' };
      return { allowed: true };
    default:
      // Teredo tunnels to an obfuscated IPv4 peer; everything else here is not global unicast.
      return { allowed: false, range };
  }
}

/**
 * What may be dialled. Production builds it from webhooks.allow_private_targets alone (both flags
 * follow it); tests split the flags to exercise the address rules over plain-http receivers, and may
 * stand a loopback receiver in for "a public server" through `checkAddress`.
 */
export interface TargetPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
  checkAddress: (ip: string) => AddressVerdict;
}

export function targetPolicy(allowPrivateTargets: boolean): TargetPolicy {
  return { allowHttp: allowPrivateTargets, allowPrivate: allowPrivateTargets, checkAddress };
}
