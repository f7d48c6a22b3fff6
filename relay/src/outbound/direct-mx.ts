/**
 * Delivery straight to each recipient domain's mail exchangers. DNS goes through the injected
 * Resolver (the same one sender verification uses), so tests and operators control it.
 *
 * RFC 5321 §5.1: MX records in preference order; with no MX record the domain's own address is the
 * implicit MX. RFC 7505: a single "." MX means the domain accepts no mail (permanent). A host that
 * cannot be reached sends us to the next one; a host that answers has given the verdict.
 */
import nodemailer from 'nodemailer';
import type { Resolver } from '../auth/resolver.js';
import { describeError, outcomesFrom, type OutboundEnvelope, type OutboundTransport, type RecipientOutcome } from './transport.js';

export interface DirectOptions {
  resolver: Resolver;
  /** Our name in EHLO. */
  hostname: string;
  timeoutMs: number;
  /** 25 in production (RFC 5321 §4.5.4.2); tests point it at a local sink. */
  port: number;
}

type Hosts = { kind: 'hosts'; hosts: string[] } | { kind: 'failed'; reason: string } | { kind: 'deferred'; reason: string };

const codeOf = (err: unknown) => (err as { code?: string } | null)?.code ?? 'EUNKNOWN';

export async function mailExchangers(resolver: Resolver, domain: string): Promise<Hosts> {
  try {
    const records = (await resolver(domain, 'MX')) as Array<{ exchange: string; priority: number }>;
    if (records.length === 1 && (records[0]!.exchange === '' || records[0]!.exchange === '.')) {
      return { kind: 'failed', reason: `${domain} publishes a null MX (RFC 7505): it accepts no mail` };
    }
    const sorted = [...records].sort((a, b) => a.priority - b.priority).map((r) => r.exchange.replace(/\.$/, ''));
    return { kind: 'hosts', hosts: sorted };
  } catch (err) {
    const code = codeOf(err);
    if (code === 'ENODATA') return { kind: 'hosts', hosts: [domain] };
    if (code === 'ENOTFOUND') return { kind: 'failed', reason: `recipient domain ${domain} does not exist (NXDOMAIN)` };
    return { kind: 'deferred', reason: `MX lookup for ${domain} failed: ${code}` };
  }
}

/** IPv4 then IPv6 addresses, both asked at once; a family without an address adds none. */
async function addressesOf(resolver: Resolver, host: string): Promise<string[]> {
  const answers = await Promise.allSettled([resolver(host, 'A'), resolver(host, 'AAAA')]);
  return answers.flatMap((a) => (a.status === 'fulfilled' ? (a.value as string[]) : []));
}

export function createDirectTransport(options: DirectOptions): OutboundTransport {
  const { resolver } = options;

  const sendToDomain = async (domain: string, envelope: OutboundEnvelope, raw: Buffer): Promise<RecipientOutcome[]> => {
    const mx = await mailExchangers(resolver, domain);
    if (mx.kind !== 'hosts') return envelope.to.map((address) => ({ address, status: mx.kind, response: mx.reason }));
    let last = `no address for any mail exchanger of ${domain}`;
    for (const host of mx.hosts) {
      for (const ip of await addressesOf(resolver, host)) {
        const transporter = nodemailer.createTransport({
          host: ip,
          port: options.port,
          name: options.hostname,
          connectionTimeout: options.timeoutMs,
          greetingTimeout: options.timeoutMs,
          socketTimeout: options.timeoutMs,
          // Opportunistic TLS (RFC 7435): MX certificates rarely name the MX host; encrypt anyway.
          tls: { servername: host, rejectUnauthorized: false },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        try {
          const info = await transporter.sendMail({ envelope: { from: envelope.from, to: envelope.to }, raw });
          return outcomesFrom(envelope.to, { info: info as never });
        } catch (err) {
          const e = err as { responseCode?: number };
          // The server answered: its verdict stands. No answer: try the next address or host.
          if (typeof e.responseCode === 'number') return outcomesFrom(envelope.to, { error: err as never });
          last = `${host} [${ip}]: ${describeError(err as never)}`;
        } finally {
          transporter.close();
        }
      }
    }
    return envelope.to.map((address) => ({ address, status: 'deferred' as const, response: last }));
  };

  return {
    async send(envelope, raw) {
      const byDomain = new Map<string, string[]>();
      for (const address of envelope.to) {
        const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
        const to = byDomain.get(domain);
        if (to) to.push(address);
        else byDomain.set(domain, [address]);
      }
      const results = await Promise.all(
        [...byDomain].map(([domain, to]) => sendToDomain(domain, { from: envelope.from, to }, raw)),
      );
      return results.flat();
    },
    async close() {},
  };
}
