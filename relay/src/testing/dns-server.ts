/**
 * A real DNS server on a UDP loopback port, answering from a zone object, so a test can point the
 * gateway's `dns.servers` at it and exercise node:dns end to end. dns-packet does the wire format.
 */
import { createSocket } from 'node:dgram';
import * as packet from 'dns-packet';
import type { Zone } from './fake-resolver.js';

export interface TestDnsServer {
  /** `127.0.0.1:<port>`, for dns.servers. */
  address: string;
  /** Every question received, as `TYPE name`. */
  queries: string[];
  close(): Promise<void>;
}

export async function startDnsServer(zone: Zone): Promise<TestDnsServer> {
  const records = new Map(Object.entries(zone).map(([name, rr]) => [name.toLowerCase().replace(/\.$/, ''), rr]));
  const socket = createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let query: packet.Packet;
    try {
      query = packet.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    queries.push(`${question.type} ${name}`);
    const rr = records.get(name);
    const answers: packet.Answer[] = [];
    if (question.type === 'TXT') {
      for (const txt of rr?.TXT ?? []) answers.push({ type: 'TXT', name: question.name, ttl: 60, data: Array.isArray(txt) ? txt : chunk(txt) });
    }
    const response = packet.encode({
      id: query.id,
      type: 'response',
      // RD echoed, RA set; NXDOMAIN (rcode 3) for names the zone does not know.
      flags: (query.flags ?? 0) | packet.RECURSION_AVAILABLE | (rr ? 0 : 3),
      questions: query.questions,
      answers,
    });
    socket.send(response, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

/** A TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14); long records are split. */
function chunk(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 255) out.push(text.slice(i, i + 255));
  return out.length ? out : [''];
}
