/**
 * The composition root: builds every service with constructor injection and starts SMTP and HTTP.
 * Tests call createGateway() with fakes for the outside world (DNS resolver, clock); main.ts calls
 * it with the real ones.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDnsResolver, createInboundServer, createSenderVerifier, withCache, withTimeout, type Resolver } from '@e2a/relay';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { AccountsService } from './accounts/service.js';
import { ApiKeysService } from './accounts/api-keys.js';
import { accountRoutes } from './accounts/routes.js';
import { agentRoutes } from './agents/routes.js';
import { AgentsService } from './agents/service.js';
import { systemClock, type Clock } from './clock.js';
import { parseHostPort, type Config } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrate } from './db/migrator.js';
import { acquirePidLock } from './db/pid-lock.js';
import { createEventBus } from './events/bus.js';
import { createHttpApp } from './http/app.js';
import { RouteTable } from './http/route.js';
import { AgentDirectory } from './inbound/directory.js';
import { InboundService } from './inbound/service.js';
import { createClaimsSigner } from './messages/claims.js';
import { messageRoutes } from './messages/routes.js';
import { MessagesService } from './messages/service.js';
import { createRealtime, type Realtime } from './realtime/realtime.js';
import { eventRoutes } from './events/routes.js';
import { EventsService } from './events/service.js';
import { targetPolicy } from './net/address-policy.js';
import { createHttpPoster } from './net/http-poster.js';
import { PRODUCTION_SCHEDULE, type RetrySchedule } from './webhooks/retry-schedule.js';
import { webhookRoutes } from './webhooks/routes.js';
import { WebhooksService } from './webhooks/service.js';
import { WebhookDeliveryWorker } from './workers/webhook-delivery.js';
import { resolveSecrets, type Secrets } from './settings/secrets.js';
import { mountDashboard } from './system/dashboard.js';
import { systemRoutes } from './system/routes.js';
import { VERSION } from './version.js';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  clock?: Clock;
  /** DNS for sender authentication; defaults to the system or dns.servers resolver. */
  resolver?: Resolver;
  /** An already-open database (tests share one); otherwise opened from config. */
  database?: DatabaseHandle;
  /** Webhook retry waits; tests shrink them to milliseconds. Defaults to the documented table. */
  webhookSchedule?: RetrySchedule;
}

export interface Gateway {
  readonly database: DatabaseHandle;
  readonly secrets: Secrets;
  readonly accounts: AccountsService;
  /** WebSocket delivery (GET /v1/agents/{address}/ws). */
  readonly realtime: Realtime;
  readonly httpUrl: string;
  readonly smtpPort: number;
  readonly smtpHost: string;
  stop(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const releaseLock = !options.database && !config.database.url ? acquirePidLock(config.data_dir) : () => {};
  let database: DatabaseHandle | undefined;
  try {
    database =
      options.database ??
      (await openDatabase({ url: config.database.url, dataDir: config.data_dir, poolSize: config.database.pool_size }));
    const migrated = await migrate(database);
    logger.info({ engine: database.engine, applied: migrated.applied.length }, 'database ready');

    const secrets = await resolveSecrets(database.db, config);
    if (secrets.generated.length > 0 && config.env !== 'test') {
      logger.warn({ generated: secrets.generated }, 'development secrets generated and stored in the database; set them in config for production');
    }
    const db = database.db;
    const box = new SecretBox(secrets.encryptionKey);
    const accounts = new AccountsService({ db, clock });
    const agents = new AgentsService({ db, clock, sharedDomain: config.shared_domain });
    const apiKeys = new ApiKeysService({ db, accounts, agents });
    const claims = createClaimsSigner({ hmacSecret: secrets.hmacSecret, clock });
    const messages = new MessagesService({ db, box, claims });
    const inbound = new InboundService({ db, box, clock });

    const resolver =
      options.resolver ??
      withCache(
        withTimeout(createDnsResolver({ servers: [...config.dns.servers], timeoutMs: config.dns.timeout_ms, tries: 2 }), config.dns.timeout_ms),
        { ttlMs: config.dns.cache_ttl_seconds * 1000, maxEntries: 10_000 },
      );
    const smtpAddr = parseHostPort(config.smtp.listen_addr)!;
    const smtp = createInboundServer({
      directory: new AgentDirectory({ db, sharedDomain: config.shared_domain }),
      sink: inbound,
      verifier: createSenderVerifier({ resolver, authservId: config.smtp.hostname, logger: logger.child({ part: 'auth' }) }),
      maxMessageBytes: config.smtp.max_message_bytes,
      maxRecipients: config.smtp.max_recipients,
      hostname: config.smtp.hostname,
      trustedProxyCidrs: [...config.smtp.trusted_proxy_cidrs],
      logger: logger.child({ part: 'smtp' }),
    });
    const smtpListening = await smtp.listen(smtpAddr.host, smtpAddr.port);
    let smtpOpen = true;

    const routes = new RouteTable();
    const httpAddr = parseHostPort(config.http.listen_addr)!;
    let httpPort = httpAddr.port;
    systemRoutes(routes, {
      info: () => ({
        version: VERSION,
        publicUrl: config.public_url,
        sharedDomain: config.shared_domain,
        smtp: { host: smtpAddr.host, port: smtpListening.port, maxMessageBytes: config.smtp.max_message_bytes },
      }),
      ready: async () => {
        if (!smtpOpen) return 'SMTP is not listening';
        try {
          await sql`select 1`.execute(db);
          return null;
        } catch (err) {
          return `database: ${(err as Error).message}`;
        }
      },
    });
    accountRoutes(routes, apiKeys);
    agentRoutes(routes, agents);
    messageRoutes(routes, agents, messages);

    // ---- webhooks + events API: begin ----
    // One SSRF-guarded transport for real deliveries and POST /v1/webhooks/{id}/test alike.
    const webhookPolicy = targetPolicy(config.webhooks.allow_private_targets);
    const webhookTransport = createHttpPoster({ policy: webhookPolicy, timeoutMs: config.webhooks.timeout_ms });
    let wakeWebhookWorker = () => {};
    const webhooks = new WebhooksService({ db, box, clock, transport: webhookTransport, policy: webhookPolicy });
    const events = new EventsService({ db, clock, onRequeued: () => wakeWebhookWorker() });
    webhookRoutes(routes, webhooks);
    eventRoutes(routes, events);
    // ---- webhooks + events API: end ----

    const app = createHttpApp({
      routes,
      accounts,
      logger: logger.child({ part: 'http' }),
      maxBodyBytes: config.http.max_body_bytes,
      trustProxy: config.http.trust_proxy,
      mount: mountDashboard,
    });
    const http: Server = createServer(app);

    // ---- realtime (WebSocket delivery): begin ----
    // The event bus wakes listeners in this process when any replica commits an event.
    const eventBus = await createEventBus(database, logger.child({ part: 'events' }));
    const realtime = createRealtime({ db, bus: eventBus, accounts, agents, clock, logger: logger.child({ part: 'realtime' }), config: config.realtime });
    realtime.attach(http);
    // ---- realtime: end ----

    // ---- webhook delivery worker: begin ----
    const webhookWorker = new WebhookDeliveryWorker({
      db,
      box,
      clock,
      transport: webhookTransport,
      bus: eventBus,
      logger: logger.child({ part: 'webhooks' }),
      schedule: options.webhookSchedule ?? PRODUCTION_SCHEDULE,
      concurrency: config.webhooks.concurrency,
      pollIntervalMs: config.webhooks.poll_interval_ms,
      timeoutMs: config.webhooks.timeout_ms,
      disableAfterMs: config.webhooks.disable_after_hours * 3600 * 1000,
    });
    wakeWebhookWorker = () => webhookWorker.wake();
    webhookWorker.start();
    // ---- webhook delivery worker: end ----

    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(httpAddr.port, httpAddr.host, () => resolve());
    });
    httpPort = (http.address() as AddressInfo).port;
    const httpHost = httpAddr.host.includes(':') ? `[${httpAddr.host}]` : httpAddr.host;

    let stopping: Promise<void> | null = null;
    const openDb = database;
    return {
      database: openDb,
      secrets,
      accounts,
      realtime,
      httpUrl: `http://${httpHost}:${httpPort}`,
      smtpPort: smtpListening.port,
      smtpHost: smtpAddr.host,
      stop() {
        stopping ??= (async () => {
          // Stop taking new work first, let in-flight SMTP transactions commit, then close storage.
          const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
          http.closeIdleConnections();
          await smtp.close();
          smtpOpen = false;
          http.closeAllConnections();
          // Upgraded sockets are no longer HTTP connections: close them (1001) or http.close never returns.
          await realtime.stop();
          // In-flight webhook attempts are recorded before the bus and the database close.
          await webhookWorker.stop();
          await eventBus.close();
          await httpClosed;
          if (!options.database) await openDb.close();
          releaseLock();
        })();
        return stopping;
      },
    };
  } catch (err) {
    if (database && !options.database) await database.close().catch(() => {});
    releaseLock();
    throw err;
  }
}
