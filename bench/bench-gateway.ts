/**
 * The gateway as the benchmarks run it: in this process, built by createGateway exactly as main.ts
 * builds it, on a fresh database, with DNS faked so that the sender domain's SPF, DMARC and a
 * 2048-bit DKIM key (what large providers sign with) resolve without a network. Logging is at info,
 * as in production, written to /dev/null so it costs serialisation only. One account is bootstrapped,
 * and the bench drives the API as it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFakeResolver, generateDkimKey, type DkimKey, type FakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { loadConfig, type Config } from '../api/src/config.js';
import { createGateway, type Gateway } from '../api/src/gateway.js';
import { createFreshPostgres, type Engine } from './bench-database.js';

export const BENCH_DOMAIN = 'agents.bench';

/** SMTP rate budgets high enough that no bench meets them; each is still checked per message. */
export const ROOMY_SMTP_RATE_LIMITS: Record<string, string> = {
  E2A_SMTP_LIMITS_TRANSACTIONS_PER_CLIENT_PER_MINUTE: '1000000000',
  E2A_SMTP_LIMITS_MESSAGES_PER_CLIENT_PER_MINUTE: '1000000000',
  E2A_SMTP_LIMITS_MESSAGES_PER_SENDER_PER_MAILBOX_PER_HOUR: '1000000000',
  E2A_SMTP_LIMITS_REFUSED_RECIPIENTS_PER_CLIENT_PER_HOUR: '1000000000',
};

/** The same budgets switched off: no limiter statement at all. */
export const NO_SMTP_RATE_LIMITS: Record<string, string> = Object.fromEntries(Object.keys(ROOMY_SMTP_RATE_LIMITS).map((k) => [k, '0']));

/** The HTTP API's rates and quotas out of a bench's reach, each still charged per request. */
export const ROOMY_API_RATE_LIMITS: Record<string, string> = Object.fromEntries(
  ['REQUESTS_PER_KEY_PER_MINUTE', 'REQUESTS_PER_CLIENT_PER_MINUTE', 'FAILED_AUTH_PER_CLIENT_PER_HOUR', 'SENDS_PER_AGENT_PER_MINUTE', 'SENDS_PER_AGENT_PER_DAY', 'WEBHOOK_TESTS_PER_ACCOUNT_PER_HOUR', 'REVIEW_LINK_ATTEMPTS_PER_CLIENT_PER_HOUR', 'WEBSOCKET_CONNECTS_PER_KEY_PER_MINUTE', 'WEBSOCKET_UNAUTHENTICATED_PER_CLIENT_PER_MINUTE', 'MAX_LISTENERS_PER_AGENT'].map((k) => [`E2A_API_LIMITS_${k}`, '1000000000']),
);

/**
 * The settings every bench gateway runs with, in this process or as a compiled server: a fresh data
 * directory and database, ephemeral ports, the bench domain, fixed secrets, and the shared rate
 * budgets set out of the load's reach (their cost is still measured: they are consulted).
 */
export function benchSettings(o: { dataDir?: string; databaseUrl: string }): Record<string, string> {
  return {
    E2A_ENV: 'test',
    ...(o.dataDir ? { E2A_DATA_DIR: o.dataDir } : {}),
    E2A_DATABASE_URL: o.databaseUrl,
    E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
    E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
    E2A_SHARED_DOMAIN: BENCH_DOMAIN,
    E2A_SMTP_HOSTNAME: `mx.${BENCH_DOMAIN}`,
    E2A_SIGNING_HMAC_SECRET: 'bench-hmac-secret-0123456789abcdef0123',
    E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
    ...ROOMY_SMTP_RATE_LIMITS,
    ...ROOMY_API_RATE_LIMITS,
  };
}

/** The sender's DNS: SPF for 127.0.0.1, DMARC p=reject, its DKIM key. */
export function senderZone(senderKey: { dnsName: string; txt: string }) {
  return {
    [SENDER_DOMAIN]: { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
    [`_dmarc.${SENDER_DOMAIN}`]: { TXT: ['v=DMARC1; p=reject'] },
    [senderKey.dnsName]: { TXT: [senderKey.txt] },
  };
}

/** The HTTP API's rates switched off. */
export const NO_API_RATE_LIMITS: Record<string, string> = Object.fromEntries(Object.keys(ROOMY_API_RATE_LIMITS).map((k) => [k, '0']));

export const SENDER_DOMAIN = 'sender.example';

/** JSON over the gateway's API with the bench account's key (`key`); a status ≥ 300 throws with the body. */
export type BenchApi = (<T>(method: string, path: string, body?: unknown) => Promise<T>) & { key: string };

export interface BenchGateway {
  gateway: Gateway;
  config: Config;
  /** The bench account's user id. */
  userId: string;
  api: BenchApi;
  /** The key the load generator signs the sender's mail with. */
  senderKey: DkimKey;
  /** The fake DNS the gateway verifies with. */
  resolver: FakeResolver;
  /** The fresh PostgreSQL database's name, or undefined on PGlite. */
  postgresDatabase: string | undefined;
  close(): Promise<void>;
}

export async function startBenchGateway(engine: Engine, env: Record<string, string> = {}): Promise<BenchGateway> {
  const senderKey = generateDkimKey(SENDER_DOMAIN, 'bench', 2048);
  const resolver = createFakeResolver(senderZone(senderKey));
  const dataDir = mkdtempSync(join(tmpdir(), 'e2a-bench-'));
  const postgres = engine === 'postgres' ? await createFreshPostgres() : null;
  const cleanup = async () => {
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const config = loadConfig({
      // One load generator on 127.0.0.1 sends thousands of messages a minute from one sender: a
      // bench passes 0 for the rate budgets to switch them off and compare.
      env: { ...benchSettings({ dataDir, databaseUrl: postgres?.url ?? '' }), ...env },
    });
    const logger = pino({ level: 'info', base: { service: 'e2a' } }, pino.destination({ dest: '/dev/null', sync: true }));
    const gateway = await createGateway({ config, logger, resolver });
    const admin = await gateway.accounts.bootstrap('bench@example.com').catch(async (err: unknown) => {
      await gateway.stop();
      throw err;
    });
    return {
      gateway,
      config,
      userId: admin.userId,
      api: benchApi(gateway.httpUrl, admin.apiKey.key),
      senderKey,
      resolver,
      postgresDatabase: postgres ? new URL(postgres.url).pathname.slice(1) : undefined,
      async close() {
        await gateway.stop();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** The API of the gateway at `base` as the account whose key this is. */
export function benchApi(base: string, key: string): BenchApi {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return Object.assign(call, { key });
}
