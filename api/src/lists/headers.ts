/**
 * The list headers each member's copy carries (RFC 2919 List-Id, RFC 2369 List-Post and
 * List-Unsubscribe, RFC 8058 List-Unsubscribe-Post). They go into the copy's stored headers, not
 * into the shared blob: the bytes stay the ones that arrived, stored once for every member.
 */

/** RFC 2919 §3: `name.list-address-with-@-as-a-dot`; the name part lowercased and reduced to dot-atom characters. */
export function listIdOf(name: string, address: string): string {
  const label = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'list';
  return `${label}.${address.replace('@', '.')}`;
}

/** The list id inside a List-Id header value (`Name <id>` or a bare `<id>`), lowercased. */
export function listIdsIn(headers: ReadonlyArray<{ name: string; value: string }>): string[] {
  const out: string[] = [];
  for (const h of headers) {
    if (h.name.toLowerCase() !== 'list-id') continue;
    const m = /<([^>]+)>/.exec(h.value);
    if (m) out.push(m[1]!.trim().toLowerCase());
  }
  return out;
}

/**
 * The headers for one member's copy. List-Unsubscribe points at the API call that removes this
 * member (an account key is needed: members are agents of the list's account); the one-click POST
 * header says a POST to it unsubscribes, as RFC 8058 defines for mail that leaves the gateway.
 */
export function listHeaders(list: { name: string; address: string }, member: string, publicUrl: string): Array<{ name: string; value: string }> {
  const base = publicUrl.replace(/\/+$/, '');
  const unsubscribe = `${base}/v1/lists/${encodeURIComponent(list.address)}/members/${encodeURIComponent(member)}`;
  return [
    { name: 'List-Id', value: `${list.name.replace(/[<>\r\n"]/g, '')} <${listIdOf(list.name, list.address)}>` },
    { name: 'List-Post', value: `<mailto:${list.address}>` },
    { name: 'List-Unsubscribe', value: `<${unsubscribe}>` },
    { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
  ];
}
