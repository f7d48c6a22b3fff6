/**
 * A Resolver answered from a zone object, with node:dns error semantics: an unknown name rejects
 * with ENOTFOUND (NXDOMAIN), a known name without that type with ENODATA (NODATA).
 *
 *   createFakeResolver({
 *     'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'], MX: [{ exchange: 'mx.example.com', priority: 10 }] },
 *     '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; adkim=s'] },
 *   }, { hang: ['slow.example'] })
 */
import type { Resolver } from '../auth/resolver.js';
import { dnsError } from '../auth/resolver.js';

/** TXT records may be given as one string (a single character-string) or as the chunks. */
export type ZoneRecords = { TXT?: Array<string | string[]> } & Record<string, unknown[] | undefined>;
export type Zone = Record<string, ZoneRecords>;

export interface FakeResolverOptions {
  /** Names (any type) whose queries never answer: wrap with withTimeout to get ETIMEOUT. `*` hangs all. */
  hang?: string[];
  /** Names whose queries fail with the given code, e.g. `{ 'example.com': 'ESERVFAIL' }`. */
  fail?: Record<string, string>;
}

export interface FakeResolver extends Resolver {
  /** Every query made, in order, as `TYPE name`. */
  readonly queries: string[];
}

export function createFakeResolver(zone: Zone, options: FakeResolverOptions = {}): FakeResolver {
  const records = new Map(Object.entries(zone).map(([name, rr]) => [normalise(name), rr]));
  const hang = new Set((options.hang ?? []).map(normalise));
  const fail = new Map(Object.entries(options.fail ?? {}).map(([name, code]) => [normalise(name), code]));
  const queries: string[] = [];

  const resolver = async (name: string, rrtype: string): Promise<unknown> => {
    const key = normalise(name);
    const type = rrtype.toUpperCase();
    queries.push(`${type} ${key}`);
    if (hang.has('*') || hang.has(key)) return new Promise(() => {});
    const failure = fail.get(key);
    if (failure) throw dnsError(failure, name, type);
    const rr = records.get(key);
    if (!rr) throw dnsError('ENOTFOUND', name, type);
    const answers = rr[type];
    if (!answers || answers.length === 0) throw dnsError('ENODATA', name, type);
    // node:dns returns TXT as string[][] (one array of character-strings per record).
    if (type === 'TXT') return answers.map((a) => (Array.isArray(a) ? [...a] : [a]));
    return structuredClone(answers);
  };
  return Object.assign(resolver, { queries });
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
