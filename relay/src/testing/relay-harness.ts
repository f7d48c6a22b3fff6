/**
 * An inbound server on 127.0.0.1:<ephemeral> with in-memory ports and a fake DNS zone: what relay's
 * protocol tests talk to.
 */
import { withTimeout } from '../auth/resolver.js';
import { createSenderVerifier, type SenderVerifier } from '../auth/verify.js';
import { createInboundServer, type InboundServer, type InboundServerOptions } from '../inbound/server.js';
import { ROOMY_SESSION_LIMITS, createMemoryBudget, createMemoryDirectory, createMemorySink, createTestLogger, type MemoryBudget, type MemoryDirectory, type MemorySink } from './fake-ports.js';
import { createFakeResolver, type FakeResolverOptions, type Zone } from './fake-resolver.js';

export const HOSTNAME = 'mx.agents.test';

export interface HarnessOptions {
  zone?: Zone;
  dns?: FakeResolverOptions;
  mailboxes?: string[];
  verifier?: SenderVerifier;
  overrides?: Partial<InboundServerOptions>;
}

export interface Harness {
  port: number;
  directory: MemoryDirectory;
  sink: MemorySink;
  budget: MemoryBudget;
  logger: ReturnType<typeof createTestLogger>;
  /** The server itself, for what tests do to it while it runs (updateTls). */
  server: InboundServer;
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = createTestLogger(process.env.E2A_TEST_LOG === 'debug');
  const directory = createMemoryDirectory(options.mailboxes ?? ['bot@agents.test', 'helper@agents.test']);
  const sink = createMemorySink();
  const budget = createMemoryBudget();
  const resolver = withTimeout(createFakeResolver(options.zone ?? {}, options.dns), 50);
  const verifier = options.verifier ?? createSenderVerifier({ resolver, authservId: HOSTNAME, logger });
  const server = createInboundServer({
    directory,
    sink,
    verifier,
    maxMessageBytes: 64 * 1024,
    maxRecipients: 5,
    hostname: HOSTNAME,
    trustedProxyCidrs: [],
    logger,
    limits: ROOMY_SESSION_LIMITS,
    budget,
    ...options.overrides,
  });
  const { port } = await server.listen('127.0.0.1', 0);
  return { port, directory, sink, budget, logger, server, close: () => server.close() };
}
