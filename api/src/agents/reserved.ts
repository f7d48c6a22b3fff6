/**
 * Addresses no tenant may hold as an agent: the mailboxes mail convention gives to whoever runs a
 * domain. RFC 5321 §4.5.1 requires postmaster@ every domain a server receives for, and RFC 2142
 * names abuse@ for complaints; both reach the operator (inbound/postmaster.ts) on every served
 * domain, so an agent claiming one would read mail meant for the operator.
 */

/** Local parts routed to the operator on every served domain. */
export const OPERATOR_LOCAL_PARTS: ReadonlySet<string> = new Set(['postmaster', 'abuse']);

/** Why `local` cannot be an agent's local part, or null when it can. */
export function reservedLocalPart(local: string): string | null {
  const name = local.toLowerCase();
  if (OPERATOR_LOCAL_PARTS.has(name)) return `${name}@ is reserved for the operator of this gateway (RFC 5321 §4.5.1, RFC 2142)`;
  return null;
}
