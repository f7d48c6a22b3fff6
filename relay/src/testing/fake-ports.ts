/** In-memory implementations of the relay's ports, for relay and api tests alike. */
import type { BudgetLimit, BudgetStep, InboundBudget, InboundMessage, InboundSink, Logger, Recipient, RecipientDirectory } from '../ports.js';
import type { SessionLimits } from '../inbound/session-limits.js';

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

export interface MemoryBudget extends InboundBudget {
  /** Every step charged, in order. */
  readonly steps: BudgetStep[];
  /** From now on, refuse steps of this kind with this limit (null: allow everything again). */
  refuse(kind: BudgetStep['kind'], limit: BudgetLimit | null, retryAfterSeconds?: number): void;
}

/** A budget that allows everything unless told otherwise, and records what it was charged. */
export function createMemoryBudget(): MemoryBudget {
  const steps: BudgetStep[] = [];
  const refusing = new Map<BudgetStep['kind'], { limit: BudgetLimit; retryAfterSeconds: number }>();
  return {
    steps,
    refuse(kind, limit, retryAfterSeconds = 60) {
      if (limit === null) refusing.delete(kind);
      else refusing.set(kind, { limit, retryAfterSeconds });
    },
    async charge(step) {
      steps.push(step);
      const refusal = refusing.get(step.kind);
      return refusal ? { ok: false, ...refusal } : { ok: true };
    },
  };
}

/** Limits loose enough that no protocol test meets them unless it sets its own. */
export const ROOMY_SESSION_LIMITS: SessionLimits = {
  maxConnections: 1000,
  maxConnectionsPerClient: 1000,
  idleTimeoutMs: 60_000,
  maxSessionMs: 600_000,
  minBytesPerSecond: 0,
  maxRefusedRecipients: 1000,
  refusalDelayStepMs: 0,
  refusalDelayMaxMs: 0,
};
