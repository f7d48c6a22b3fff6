/**
 * The unit per-client limits count in. One IPv4 address is one client; an IPv6 client usually holds
 * a whole /64 (RFC 6177 assigns end sites at least that), so counting single IPv6 addresses would
 * let one host open 2^64 "clients". Connection caps and the shared rate budgets both key on this.
 */
import { isIP } from 'node:net';

/** `192.0.2.7`, or `2001:db8:1:2::/64` for any address in that /64; anything unparsable as given. */
export function clientNetwork(address: string): string {
  // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
  const v4 = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  if (isIP(v4) === 4) return v4;
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, lower-case, without leading zeros. */
function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4 forms other than the mapped one) fills two groups.
  const last = right.length > 0 ? right : left;
  const dotted = last[last.length - 1];
  if (dotted?.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
    last.splice(last.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => g.replace(/^0+(?=.)/, ''));
}
