/**
 * Boots a whole gateway in this process on ephemeral ports, on a fresh database of the given engine,
 * with the outside world faked: a DNS resolver built from a zone object, and optionally a clock.
 */
import type { Resolver } from '@e2a/relay';
import type { KyselyPlugin } from 'kysely';
import { pino, type Logger } from 'pino';
import type { Clock } from '../clock.js';
import { loadConfig } from '../config.js';
import { createGateway, type Gateway } from '../gateway.js';
import type { HostResolver } from '../net/guarded-lookup.js';
import type { OutboundRetryPolicy } from '../outbound/retry.js';
import type { RetrySchedule } from '../webhooks/retry-schedule.js';
import { openDatabase } from '../db/database.js';
import { openTestDatabase, type Engine, type TestDatabase } from './databases.js';

export const TEST_DOMAIN = 'agents.test';

export interface TestGateway {
  gateway: Gateway;
  /** postgres://… of its database ('' on PGlite), for a second replica (`replicaOf`). */
  databaseUrl: string;
  /** Account key of the test user. */
  apiKey: string;
  userId: string;
  /** fetch against the API with the test key (or `key: null` for none). */
  api(path: string, init?: RequestInit & { key?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestGateway(opts: {
  engine: Engine;
  /** Fake DNS; without one the gateway uses node:dns (point it somewhere with E2A_DNS_SERVERS). */
  resolver?: Resolver;
  clock?: Clock;
  env?: Record<string, string>;
  /** Webhook retry waits (ms) instead of the production table, so retry tests take seconds. */
  webhookSchedule?: RetrySchedule;
  /** Outbound retry backoff (ms) instead of the production one. */
  outboundRetry?: OutboundRetryPolicy;
  /** Port remote MX hosts listen on in outbound_smtp.mode direct. */
  outboundDirectPort?: number;
  /** What webhook target names resolve to (the webhooks' own DNS, apart from `resolver`). */
  webhookHostResolver?: HostResolver;
  /** Kysely plugins on the gateway's database handle (a StatementLog to count round trips). */
  plugins?: KyselyPlugin[];
  /**
   * Another replica: the PostgreSQL database of this gateway (its `databaseUrl`), reached over a
   * pool of its own. Left in place at close; the first gateway drops it.
   */
  replicaOf?: TestGateway;
  /** The gateway's logger (default: silent, or E2A_TEST_LOG's level); tests capture log lines with one. */
  logger?: Logger;
}): Promise<TestGateway> {
  const { engine, env, plugins, replicaOf, logger, ...fakes } = opts;
  const db = replicaOf ? await openReplicaDatabase(replicaOf) : await openTestDatabase(engine);
  const config = loadConfig({
    env: {
      E2A_ENV: 'test',
      E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_SHARED_DOMAIN: TEST_DOMAIN,
      E2A_SMTP_HOSTNAME: 'mx.agents.test',
      E2A_SIGNING_HMAC_SECRET: 'test-hmac-secret-0123456789abcdef0123',
      E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      ...env,
    },
  });
  const gateway = await createGateway({
    config,
    logger: logger ?? pino({ level: process.env.E2A_TEST_LOG ?? 'silent' }),
    database: plugins ? { ...db.handle, db: plugins.reduce((d, plugin) => d.withPlugin(plugin), db.handle.db) } : db.handle,
    ...fakes,
    // 1024-bit DKIM keys: mailauth's minimum, and a fraction of the 2048-bit generation time.
    dkimKeyBits: 1024,
  });
  const boot = await gateway.accounts.bootstrap('owner@example.com');
  const apiKey = boot.apiKey.key;
  return {
    gateway,
    databaseUrl: db.url,
    apiKey,
    userId: boot.userId,
    api(path, init = {}) {
      const { key = apiKey, headers, ...rest } = init;
      const h = new Headers(headers);
      if (key) h.set('authorization', `Bearer ${key}`);
      if (rest.body && !h.has('content-type')) h.set('content-type', 'application/json');
      return fetch(`${gateway.httpUrl}${path}`, { ...rest, headers: h });
    },
    async close() {
      await gateway.stop();
      await db.drop();
    },
  };
}

async function openReplicaDatabase(of: TestGateway): Promise<TestDatabase> {
  if (!of.databaseUrl) throw new Error('replicaOf needs a PostgreSQL gateway: PGlite is one process');
  const handle = await openDatabase({ url: of.databaseUrl, dataDir: null, poolSize: 5 });
  return { handle, url: of.databaseUrl, drop: () => handle.close() };
}
