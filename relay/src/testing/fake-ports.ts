/** In-memory implementations of the relay's ports, for relay and api tests alike. */
import type { InboundMessage, InboundSink, Logger, Recipient, RecipientDirectory } from '../ports.js';

export interface MemoryDirectory extends RecipientDirectory {
  /** Every address looked up, in order. */
  readonly lookups: string[];
}

/** `mailboxes` are full addresses; their domains (and `domains`) are the local ones. */
export function createMemoryDirectory(mailboxes: string[], domains: string[] = []): MemoryDirectory {
  const boxes = new Map(mailboxes.map((a, i) => [a.toLowerCase(), { agentId: `agent_${i + 1}`, address: a.toLowerCase() }]));
  const local = new Set([...domains, ...mailboxes.map((a) => a.slice(a.lastIndexOf('@') + 1))].map((d) => d.toLowerCase()));
  const lookups: string[] = [];
  return {
    lookups,
    async lookup(address): Promise<Recipient | null> {
      lookups.push(address);
      return boxes.get(address.toLowerCase()) ?? null;
    },
    async isLocalDomain(domain) {
      return local.has(domain.toLowerCase());
    },
  };
}

export interface MemorySink extends InboundSink {
  readonly messages: InboundMessage[];
  /** Make the next accept() calls reject, as a failed database commit would. */
  failWith(err: Error | null): void;
}

export function createMemorySink(): MemorySink {
  const messages: InboundMessage[] = [];
  let failure: Error | null = null;
  return {
    messages,
    failWith(err) {
      failure = err;
    },
    async accept(message) {
      if (failure) throw failure;
      messages.push(message);
      return { queueId: `q${messages.length}` };
    },
  };
}

/** A Logger that records entries; pass `echo: true` to see them while debugging a test. */
export function createTestLogger(echo = false): Logger & { entries: Array<{ level: string; obj: object; msg?: string }> } {
  const entries: Array<{ level: string; obj: object; msg?: string }> = [];
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      entries.push({ level, obj, ...(msg !== undefined ? { msg } : {}) });
      if (echo) console.log(level, msg, obj);
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
