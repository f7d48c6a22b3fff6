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
import { dashboardRoutes } from './accounts/dashboard-routes.js';
import { DashboardSessions } from './accounts/dashboard-sessions.js';
import { agentRoutes } from './agents/routes.js';
import { cardRoutes } from './cards/routes.js';
import { CardsService } from './cards/service.js';
import { ListFanOut } from './lists/fan-out.js';
import { listRoutes } from './lists/routes.js';
import { ListsService } from './lists/service.js';
import { contactRoutes } from './contacts/routes.js';
import { ContactsService } from './contacts/service.js';
import { ReservedAddresses } from './agents/reserved.js';
import { AgentsService } from './agents/service.js';
import { ClaimsKeys } from './accounts/claims-keys.js';
import { systemClock, type Clock } from './clock.js';
import { configKeyError, parseHostPort, type Config } from './config.js';
import { SecretBox } from './crypto/secret-box.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrate } from './db/migrator.js';
import { acquirePidLock } from './db/pid-lock.js';
import { createEventBus } from './events/bus.js';
import { createHttpApp } from './http/app.js';
import { clientIp, type TrustFn } from './http/client-ip.js';
import { answerParserErrors } from './http/parser-errors.js';
import { RouteTable } from './http/route.js';
import { AgentDirectory } from './inbound/directory.js';
import { InboundService } from './inbound/service.js';
import { PostmasterRoute } from './inbound/postmaster.js';
import { CertificateFiles, tlsFilesOf, type TlsReload, type TlsReloadTrigger } from './inbound/tls-files.js';
import { descriptorWarning } from './limits/descriptor-budget.js';
import { HttpLimits } from './limits/http-limits.js';
import { AccountCaps } from './limits/account-caps.js';
import { DatabaseLimiter } from './limits/limiter.js';
import { SmtpBudget } from './limits/smtp-budget.js';
import { createClaimsSigner } from './messages/claims.js';
import { messageRoutes } from './messages/routes.js';
import { conversationRoutes } from './conversations/routes.js';
import { ConversationsService } from './conversations/service.js';
import { labelRoutes } from './labels/routes.js';
import { LabelsService } from './labels/service.js';
import { MessagesService } from './messages/service.js';
import { createRealtime, createRealtimeHub, type Realtime } from './realtime/realtime.js';
import { eventRoutes } from './events/routes.js';
import { EventsService } from './events/service.js';
import { targetPolicy } from './net/address-policy.js';
import { createHttpPoster } from './net/http-poster.js';
import type { HostResolver } from './net/guarded-lookup.js';
import { PRODUCTION_SCHEDULE, type RetrySchedule } from './webhooks/retry-schedule.js';
import { webhookRoutes } from './webhooks/routes.js';
import { WebhooksService } from './webhooks/service.js';
import { WebhookDeliveryWorker } from './workers/webhook-delivery.js';
import { resolveSecrets, type Secrets } from './settings/secrets.js';
import { mountDashboard } from './system/dashboard.js';
import { mountMcpEndpoint } from './mcp/endpoint.js';
import { loopbackUrl } from './mcp/loopback-url.js';
import { systemRoutes } from './system/routes.js';
import { VERSION } from './version.js';
import { createDirectTransport, createUpstreamTransport, type OutboundTransport } from '@e2a/relay';
import { DkimKeys } from './domains/dkim-keys.js';
import { domainRoutes } from './domains/routes.js';
import { DomainsService } from './domains/service.js';
import { bounceDetector } from './outbound/bounces.js';
import { LocalDomains } from './outbound/local-domains.js';
import { Idempotency } from './outbound/idempotency.js';
import { LocalDelivery } from './outbound/local-delivery.js';
import { PRODUCTION_RETRY, type OutboundRetryPolicy } from './outbound/retry.js';
import { outboundRoutes } from './outbound/routes.js';
import { savedDraftRoutes } from './saved-drafts/routes.js';
import { SavedDraftsService } from './saved-drafts/service.js';
import { OutboundService } from './outbound/service.js';
import { OutboundSendWorker } from './workers/outbound-send.js';
import { SystemMailWorker } from './workers/system-mail.js';
import { SystemMailRecipients } from './system/system-mail-recipients.js';
import { createContentScanner } from './protection/content-scanner.js';
import { createProtectionGates } from './protection/gate.js';
import { protectionRoutes } from './protection/routes.js';
import { ProtectionService } from './protection/service.js';
import { ReviewHoldsService } from './reviews/holds.js';
import { MagicLinks } from './reviews/magic-links.js';
import { ReviewDecider } from './reviews/outcome.js';
import { reviewRoutes } from './reviews/routes.js';
import { Outbox } from './outbox/outbox.js';
import { outboxRoutes } from './outbox/routes.js';
import { ReviewsService } from './reviews/service.js';
import { AgentExpiryWorker } from './workers/agent-expiry.js';
import { AccountExportWorker } from './workers/account-export.js';
import { ErasureWorker } from './workers/erasure.js';
import { ExportContents } from './exports/contents.js';
import { exportRoutes } from './exports/routes.js';
import { ExportsService } from './exports/service.js';
import { erasureRoutes } from './erasure/routes.js';
import { ErasureService } from './erasure/service.js';
import { RetentionWorker } from './workers/retention.js';
import { retentionRoutes } from './retention/routes.js';
import { RetentionSettings } from './retention/settings.js';
import { TrashService } from './retention/trash.js';
import { HoldExpiryWorker } from './workers/hold-expiry.js';
import { withLogContext, runWithLogContext } from './observability/log-context.js';
import { Metrics } from './observability/metrics.js';
import { createMetricsServer, metricsHandler } from './observability/metrics-http.js';
import { queueStats } from './webhooks/delivery-queue.js';

/** Expiry needs no sub-second precision; a lapsed link already refuses to act before the sweep. */
const HOLD_EXPIRY_POLL_MS = 5000;

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
  /** Outbound retry backoff; tests shrink it to milliseconds. Defaults to PRODUCTION_RETRY. */
  outboundRetry?: OutboundRetryPolicy;
  /** DKIM key size for generated keys (default 2048; tests use 1024 for speed). */
  dkimKeyBits?: number;
  /** Port of remote MX hosts in outbound_smtp.mode direct (default 25; tests point it at a sink). */
  outboundDirectPort?: number;
  /** DNS for webhook targets (default: the system resolver); tests script what names resolve to. */
  webhookHostResolver?: HostResolver;
}

export interface Gateway {
  readonly database: DatabaseHandle;
  readonly secrets: Secrets;
  readonly accounts: AccountsService;
  /** Dashboard sign-in links and sessions. */
  readonly dashboardSessions: DashboardSessions;
  /** WebSocket delivery (GET /v1/agents/{address}/ws). */
  readonly realtime: Realtime;
  /** The ephemeral-agent sweeper (workers/agent-expiry.ts); tests run a sweep on demand. */
  readonly agentExpiry: Pick<AgentExpiryWorker, 'sweepOnce'>;
  /** The export and erasure workers (docs/DATA.md); tests run a sweep on demand. */
  readonly accountExports: Pick<AccountExportWorker, 'sweepOnce'>;
  readonly erasure: Pick<ErasureWorker, 'sweepOnce'>;
  /** The retention and trash sweeper (workers/retention.ts); tests run a sweep on demand. */
  readonly retention: Pick<RetentionWorker, 'sweepOnce'>;
  readonly httpUrl: string;
  /** http://host:port of the metrics.listen_addr listener; null when /metrics is on httpUrl or off. */
  readonly metricsUrl: string | null;
  readonly smtpPort: number;
  readonly smtpHost: string;
  /**
   * Reads smtp.tls_cert_file and smtp.tls_key_file again and serves them to new STARTTLS sessions;
   * a pair that does not load leaves the current one in service. SIGHUP and file changes call it.
   */
  reloadTls(trigger?: TlsReloadTrigger): Promise<TlsReload>;
  stop(): Promise<void>;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  // Lines logged while serving a request or an SMTP transaction carry its id (observability/log-context.ts).
  const logger = withLogContext(options.logger);
  const clock = options.clock ?? systemClock;
  const releaseLock = !options.database && !config.database.url ? acquirePidLock(config.data_dir) : () => {};
  let database: DatabaseHandle | undefined;
  // What a failed start must undo, in reverse order.
  const undo: Array<() => Promise<unknown>> = [];
  try {
    // ---- STARTTLS certificate: begin ----
    // Read before anything opens: a bad file is a configuration error, reported as one.
    const tlsFiles = tlsFilesOf(config.smtp);
    const certificates = tlsFiles
      ? new CertificateFiles({ files: tlsFiles, logger: logger.child({ part: 'tls' }), clock, watchIntervalMs: config.smtp.tls_watch_interval_ms })
      : null;
    const tlsAtStart = certificates ? await certificates.load() : null;
    if (tlsAtStart && !tlsAtStart.ok) throw configKeyError(tlsAtStart.key, tlsAtStart.reason);
    if (tlsAtStart?.ok) {
      const { subject, fingerprint256, validTo } = tlsAtStart.certificate;
      logger.info({ subject, fingerprint256, valid_to: validTo }, 'STARTTLS offered');
    }
    // ---- STARTTLS certificate: end ----
    database =
      options.database ??
      (await openDatabase({
        url: config.database.url,
        dataDir: config.data_dir,
        poolSize: config.database.pool_size,
        embeddedFsync: config.database.embedded_fsync,
      }));
    const migrated = await migrate(database);
    logger.info({ engine: database.engine, applied: migrated.applied.length }, 'database ready');

    // ---- event bus + realtime hub: begin ----
    // The bus wakes workers and WebSocket listeners in this process when any replica commits an
    // event, so it exists before anything that subscribes to it or is handed work through it.
    const eventBus = await createEventBus(database, logger.child({ part: 'events' }));
    undo.push(() => eventBus.close());
    const realtimeLogger = logger.child({ part: 'realtime' });
    const realtimeHub = createRealtimeHub({ db: database.db, bus: eventBus, clock, logger: realtimeLogger, config: config.realtime });
    undo.push(() => realtimeHub.stop());
    // ---- event bus + realtime hub: end ----

    // ---- metrics: begin ----
    // One registry per gateway; sources read at scrape time.
    const metricsDb = database.db;
    const metrics = new Metrics({
      webhookQueue: () => queueStats(metricsDb, clock.now()),
      websocketListeners: () => realtimeHub.listenerCount,
      pool: database.pool ?? null,
    });
    undo.push(async () => metrics.stop());
    // ---- metrics: end ----

    const secrets = await resolveSecrets(database.db, config);
    if (secrets.generated.length > 0 && config.env !== 'test') {
      logger.warn({ generated: secrets.generated }, 'development secrets generated and stored in the database; set them in config for production');
    }
    const db = database.db;
    const box = new SecretBox(secrets.encryptionKey);
    const accounts = new AccountsService({ db, clock });
    // ---- account boundaries: begin ----
    // Addresses no tenant may take (agents/reserved.ts), where system mail may go
    // (system/system-mail-recipients.ts), and each account's own claims key (accounts/claims-keys.ts).
    const notifyFrom = config.review.notify_from || `review@${config.shared_domain}`;
    const reserved = new ReservedAddresses({
      sharedDomain: config.shared_domain,
      sharedDomainReserved: config.shared_domain_reserved,
      systemAddresses: [notifyFrom, config.admin_email],
    });
    const systemMailRecipients = new SystemMailRecipients({ db, sharedDomain: config.shared_domain, clock });
    const claimsKeys = new ClaimsKeys({ db, box, clock });
    // ---- account boundaries: end ----
    const caps = new AccountCaps({
      agents: config.api_limits.max_agents_per_account,
      api_keys: config.api_limits.max_api_keys_per_account,
      webhooks: config.api_limits.max_webhooks_per_account,
    });
    const agents = new AgentsService({ db, clock, sharedDomain: config.shared_domain, reserved, caps, expiry: { maxTtlDays: config.agents.max_ttl_days } });
    const apiKeys = new ApiKeysService({ db, accounts, agents, caps });
    const claims = createClaimsSigner({ keys: claimsKeys, clock });
    const messages = new MessagesService({ db, box, claims, clock });
    const conversations = new ConversationsService({ db, messages, clock });
    // ---- protection gates + review holds: begin ----
    // Shared by the inbound path (here) and the outbound path: `gates` decide, `holds.hold` opens a
    // review inside the caller's transaction, and one ReviewDecider applies every decision (API,
    // magic link, expiry sweeper) with the same effects.
    // Large messages are scanned in a worker thread (protection/content-scanner.ts).
    const scanner = createContentScanner();
    undo.push(() => scanner.close());
    const gates = createProtectionGates(scanner);
    const holds = new ReviewHoldsService({
      box,
      clock,
      publicUrl: config.public_url,
      notifyFrom,
    });
    const reviewDecider = new ReviewDecider({ box, clock });
    // ---- protection gates + review holds: end ----
    const postmaster = new PostmasterRoute({ db, box, configured: config.postmaster_address, sharedDomain: config.shared_domain, hostname: config.smtp.hostname });
    const contacts = new ContactsService({
      db,
      agents,
      clock,
      codeTtlMs: config.contacts.code_ttl_minutes * 60_000,
      maxPendingPerAgent: config.contacts.max_pending_per_agent,
    });
    const listFanOut = new ListFanOut({ db, publicUrl: config.public_url, clock });
    const inbound = new InboundService({ db, box, clock, gates, contacts, holds, bounces: bounceDetector, postmaster, metrics, lists: listFanOut, logger: logger.child({ part: 'inbound' }) });

    const resolver =
      options.resolver ??
      withCache(
        withTimeout(createDnsResolver({ servers: [...config.dns.servers], timeoutMs: config.dns.timeout_ms, tries: 2 }), config.dns.timeout_ms),
        { ttlMs: config.dns.cache_ttl_seconds * 1000, maxEntries: 10_000 },
      );
    const smtpAddr = parseHostPort(config.smtp.listen_addr)!;
    // ---- limits: begin ----
    // One limiter (counters in the database, shared by replicas) for every edge that rate-limits.
    const limiter = new DatabaseLimiter({ db, clock });
    // Refusals are counted by rule name (a fixed set), never by the key, address or network.
    const countedLimiter = metrics.countingLimiter(limiter);
    const smtpLimits = config.smtp_limits;
    const descriptors = descriptorWarning(smtpLimits.max_connections);
    if (descriptors) logger.warn(descriptors);
    const limiterPurge = setInterval(() => void limiter.purge().catch((err: unknown) => logger.warn({ err }, 'rate-limit purge failed')), 600_000);
    limiterPurge.unref();
    undo.push(async () => clearInterval(limiterPurge));
    const apiLimits = config.api_limits;
    const httpLimits = new HttpLimits({
      limiter: countedLimiter,
      limits: {
        requestsPerKeyPerMinute: apiLimits.requests_per_key_per_minute,
        requestsPerClientPerMinute: apiLimits.requests_per_client_per_minute,
        failedAuthPerClientPerHour: apiLimits.failed_auth_per_client_per_hour,
        sendsPerAgentPerMinute: apiLimits.sends_per_agent_per_minute,
        sendsPerAgentPerDay: apiLimits.sends_per_agent_per_day,
        webhookTestsPerAccountPerHour: apiLimits.webhook_tests_per_account_per_hour,
        reviewLinkAttemptsPerClientPerHour: apiLimits.review_link_attempts_per_client_per_hour,
        contactApprovalsPerClientPerHour: config.contacts.approvals_per_client_per_hour,
        signInLinkAttemptsPerClientPerHour: apiLimits.sign_in_link_attempts_per_client_per_hour,
        signInEmailsPerClientPerHour: apiLimits.sign_in_emails_per_client_per_hour,
        signInEmailsPerAddressPerHour: apiLimits.sign_in_emails_per_address_per_hour,
        websocketConnectsPerKeyPerMinute: apiLimits.websocket_connects_per_key_per_minute,
        websocketUnauthenticatedPerClientPerMinute: apiLimits.websocket_unauthenticated_per_client_per_minute,
      },
    });
    // ---- limits: end ----
    const smtp = createInboundServer({
      directory: new AgentDirectory({ db, sharedDomain: config.shared_domain, postmaster, clock, lists: listFanOut, changes: eventBus }),
      sink: inbound,
      verifier: createSenderVerifier({ resolver, authservId: config.smtp.hostname, logger: logger.child({ part: 'auth' }) }),
      maxMessageBytes: config.smtp.max_message_bytes,
      maxRecipients: config.smtp.max_recipients,
      messageLimits: {
        maxHeaderBytes: config.smtp.max_header_bytes,
        maxHeaderLines: config.smtp.max_header_lines,
        maxMimeDepth: config.smtp.max_mime_depth,
        maxMimeParts: config.smtp.max_mime_parts,
      },
      hostname: config.smtp.hostname,
      trustedProxyCidrs: [...config.smtp.trusted_proxy_cidrs],
      tls: tlsAtStart?.ok ? tlsAtStart.credentials : undefined,
      logger: logger.child({ part: 'smtp' }),
      observer: {
        session: (result) => metrics.smtpSession(result),
        transaction: (code) => metrics.smtpTransaction(code),
        received: (bytes) => metrics.inboundReceived(bytes),
        verdict: (authentication) => metrics.inboundVerdict(authentication),
        inTransaction: (tx, run) => runWithLogContext({ tx }, run),
      },
      limits: {
        maxConnections: smtpLimits.max_connections,
        maxConnectionsPerClient: smtpLimits.max_connections_per_client,
        idleTimeoutMs: smtpLimits.idle_timeout_seconds * 1000,
        maxSessionMs: smtpLimits.max_session_seconds * 1000,
        minBytesPerSecond: smtpLimits.min_data_rate_bytes_per_second,
        maxRefusedRecipients: smtpLimits.max_refused_recipients,
        refusalDelayStepMs: smtpLimits.refused_recipient_delay_ms,
        refusalDelayMaxMs: smtpLimits.refused_recipient_delay_max_ms,
      },
      budget: new SmtpBudget({
        limiter: countedLimiter,
        limits: {
          transactionsPerClientPerMinute: smtpLimits.transactions_per_client_per_minute,
          messagesPerClientPerMinute: smtpLimits.messages_per_client_per_minute,
          messagesPerSenderPerMailboxPerHour: smtpLimits.messages_per_sender_per_mailbox_per_hour,
          refusedRecipientsPerClientPerHour: smtpLimits.refused_recipients_per_client_per_hour,
        },
      }),
    });
    // With `processes` > 1 every gateway process binds the same ports (SO_REUSEPORT) and the
    // kernel spreads connections over them (processes/supervisor.ts).
    const reusePort = config.processes > 1;
    const smtpListening = await smtp.listen(smtpAddr.host, smtpAddr.port, { reusePort });
    undo.push(() => smtp.close());
    certificates?.serve((credentials) => smtp.updateTls(credentials));
    undo.push(async () => certificates?.stop());
    let smtpOpen = true;

    // Workers are built before the services that hand them work (dashboard sign-in, webhooks,
    // outbound), which are given the workers themselves; they start once both listeners are up.
    // ---- webhook delivery worker: begin ----
    // One SSRF-guarded transport for real deliveries and POST /v1/webhooks/{id}/test alike.
    const webhookPolicy = targetPolicy(config.webhooks.allow_private_targets);
    const webhookTransport = createHttpPoster({
      policy: webhookPolicy,
      timeoutMs: config.webhooks.timeout_ms,
      ...(options.webhookHostResolver ? { resolve: options.webhookHostResolver } : {}),
    });
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
      metrics,
    });
    // ---- webhook delivery worker: end ----

    // ---- hold expiry sweeper: begin ----
    const holdExpiry = new HoldExpiryWorker({ db, clock, decider: reviewDecider, logger: logger.child({ part: 'hold-expiry' }), pollIntervalMs: HOLD_EXPIRY_POLL_MS });
    // ---- hold expiry sweeper: end ----

    // ---- agent expiry sweeper (ephemeral inboxes): begin ----
    const agentExpiry = new AgentExpiryWorker({
      db,
      clock,
      logger: logger.child({ part: 'agent-expiry' }),
      pollIntervalMs: config.agents.expiry_poll_interval_ms,
      noticeLeadMs: config.agents.expiring_notice_minutes * 60_000,
    });
    // ---- agent expiry sweeper: end ----

    // ---- retention sweeper (retention and trash): begin ----
    const retention = new RetentionWorker({
      db,
      clock,
      logger: logger.child({ part: 'retention' }),
      pollIntervalMs: config.retention.poll_interval_ms,
      trashDays: config.retention.trash_days,
      batchSize: config.retention.batch_size,
    });
    // ---- retention sweeper: end ----

    // ---- outbound + system mail workers: begin ----
    const dkim = new DkimKeys({ db, box, clock, selector: config.outbound.dkim_selector, bits: options.dkimKeyBits ?? 2048 });
    // Mail captured when outbound_smtp.mode is outbox.
    const outbox = new Outbox({ db, box, clock });
    const smtpOut = config.outbound_smtp;
    const outboundTransport: OutboundTransport | null =
      smtpOut.mode === 'upstream'
        ? createUpstreamTransport({
            host: smtpOut.host,
            port: smtpOut.port,
            username: smtpOut.username,
            password: smtpOut.password,
            requireTls: smtpOut.require_tls,
            poolSize: smtpOut.pool_size,
            maxMessagesPerConnection: smtpOut.max_messages_per_connection,
            timeoutMs: smtpOut.timeout_ms,
            hostname: config.smtp.hostname,
          })
        : smtpOut.mode === 'direct'
          ? createDirectTransport({ resolver, hostname: config.smtp.hostname, timeoutMs: smtpOut.timeout_ms, port: options.outboundDirectPort ?? 25 })
          : null;
    const captureOutbox = smtpOut.mode === 'outbox' ? outbox : null;
    if (smtpOut.mode === 'outbox') {
      const msg = 'outbound_smtp.mode is outbox: mail to addresses outside this gateway is captured in the local outbox (GET /v1/outbox, `e2a outbox list`), never sent';
      if (config.env === 'production') logger.warn(msg);
      else logger.info(msg);
    } else if (!outboundTransport) logger.warn('outbound_smtp.mode is none: mail to addresses outside this gateway fails at once');
    const outboundRetry = options.outboundRetry ?? PRODUCTION_RETRY;
    const retryWindowMs = config.outbound.retry_hours * 3600 * 1000;
    // An attempt may try several MX hosts, each bounded by timeout_ms per step.
    const leaseMs = smtpOut.timeout_ms * 4 + 60_000;
    const localDelivery = new LocalDelivery({
      inbound,
      // Our own DKIM keys answer from the database, so local mail verifies before DNS is published.
      verifier: createSenderVerifier({ resolver: dkim.overlay(resolver), authservId: config.smtp.hostname, logger: logger.child({ part: 'auth' }) }),
      hostname: config.smtp.hostname,
      clock,
    });
    const outboundWorker = new OutboundSendWorker({
      db,
      box,
      clock,
      bus: eventBus,
      logger: logger.child({ part: 'outbound' }),
      dkim,
      local: localDelivery,
      lists: listFanOut,
      localDomains: new LocalDomains({ db, sharedDomain: config.shared_domain, clock }),
      transport: outboundTransport,
      outbox: captureOutbox,
      retry: outboundRetry,
      retryWindowMs,
      concurrency: config.outbound.concurrency,
      pollIntervalMs: config.outbound.poll_interval_ms,
      leaseMs,
      metrics,
    });
    const systemMailWorker = new SystemMailWorker({
      db,
      box,
      clock,
      bus: eventBus,
      logger: logger.child({ part: 'system-mail' }),
      dkim,
      transport: outboundTransport,
      outbox: captureOutbox,
      retry: outboundRetry,
      retryWindowMs,
      pollIntervalMs: config.outbound.poll_interval_ms,
      leaseMs,
      recipients: systemMailRecipients,
    });
    // ---- outbound + system mail workers: end ----

    // ---- export + erasure workers (docs/DATA.md): begin ----
    // Both safe across replicas (leases and SKIP LOCKED); erasure mail goes out as system mail.
    const exportContents = new ExportContents({ db, box });
    const accountExports = new AccountExportWorker({
      db,
      box,
      clock,
      contents: exportContents,
      logger: logger.child({ part: 'exports' }),
      pollIntervalMs: config.exports.poll_interval_ms,
      retentionMs: config.exports.retention_hours * 3600_000,
    });
    const erasure = new ErasureWorker({
      db,
      box,
      clock,
      logger: logger.child({ part: 'erasure' }),
      pollIntervalMs: config.erasure.poll_interval_ms,
      mailFrom: notifyFrom,
      wakeMail: () => systemMailWorker.wake(),
    });
    // ---- export + erasure workers: end ----

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
    accountRoutes(routes, apiKeys, claimsKeys);
    exportRoutes(routes, new ExportsService({ db, box, clock, contents: exportContents, wake: () => accountExports.wake() }));
    // ---- dashboard sign-in: begin ----
    // Sign-in mail is system mail, sent by its worker.
    const dashboardSessions = new DashboardSessions({
      db,
      box,
      clock,
      publicUrl: config.public_url,
      sessionTtlMs: config.dashboard.session_ttl_hours * 3600_000,
      linkTtlMs: config.dashboard.sign_in_link_ttl_minutes * 60_000,
      mailFrom: notifyFrom,
      wakeMail: () => systemMailWorker.wake(),
    });
    dashboardRoutes(routes, dashboardSessions);
    const sessionPurge = setInterval(() => void dashboardSessions.purge().catch((err: unknown) => logger.warn({ err }, 'dashboard session purge failed')), 3600_000);
    sessionPurge.unref();
    undo.push(async () => clearInterval(sessionPurge));
    // ---- dashboard sign-in: end ----
    agentRoutes(routes, agents);
    erasureRoutes(
      routes,
      new ErasureService({ db, box, clock, agents, graceMs: config.erasure.grace_period_hours * 3600_000, mailFrom: notifyFrom, wakeMail: () => systemMailWorker.wake() }),
    );
    cardRoutes(routes, new CardsService({ db, agents, clock }));
    listRoutes(routes, new ListsService({ db, agents, reserved, sharedDomain: config.shared_domain, clock }));
    contactRoutes(routes, contacts);
    messageRoutes(routes, agents, messages);
    retentionRoutes(routes, {
      agents,
      trash: new TrashService({ db, clock, messages, trashDays: config.retention.trash_days }),
      settings: new RetentionSettings({ db, trashDays: config.retention.trash_days }),
    });
    conversationRoutes(routes, agents, conversations);
    labelRoutes(routes, agents, new LabelsService({ db, clock, maxPerAgent: config.labels.max_per_agent }));

    // ---- webhooks + events API: begin ----
    const webhooks = new WebhooksService({ db, box, clock, transport: webhookTransport, policy: webhookPolicy, caps, onRequeued: () => webhookWorker.wake() });
    const events = new EventsService({ db, clock, onRequeued: () => webhookWorker.wake() });
    webhookRoutes(routes, webhooks);
    eventRoutes(routes, events);
    // ---- webhooks + events API: end ----

    // ---- protection + reviews API (and the /review/{token} magic-link pages): begin ----
    protectionRoutes(routes, new ProtectionService({ db, agents, systemMail: systemMailRecipients }));
    reviewRoutes(routes, new ReviewsService({ db, box, clock, decider: reviewDecider }), new MagicLinks({ db, box, clock, decider: reviewDecider }));
    // ---- protection + reviews API: end ----

    // The local outbox: listed in every mode (it keeps what was captured before a switch to a relay).
    outboxRoutes(routes, outbox);

    // ---- outbound sending + domains API: begin ----
    const idempotency = new Idempotency({ db, clock });
    // Expired Idempotency-Keys (24 h) are dropped hourly; a lapsed key is also taken over on use.
    const idempotencyPurge = setInterval(() => void idempotency.purge().catch((err: unknown) => logger.warn({ err }, 'idempotency purge failed')), 3600_000);
    idempotencyPurge.unref();
    const outbound = new OutboundService({
      db,
      box,
      clock,
      gates,
      holds,
      limits: {
        maxRecipients: config.outbound.max_recipients,
        maxAttachments: config.outbound.max_attachments,
        maxAttachmentBytes: config.outbound.max_attachment_bytes,
        maxMessageBytes: config.smtp.max_message_bytes,
        maxScheduleDays: config.outbound.max_schedule_days,
      },
      bus: eventBus,
      // Mail accepted here starts at once on a free slot of this replica's worker (docs/OUTBOUND.md).
      dispatch: { reserve: (now) => outboundWorker.reserveAt(now), wake: () => outboundWorker.wake() },
      metrics,
    });
    outboundRoutes(routes, { agents, outbound, idempotency });
    // Saved drafts are sent through the same service, checks and gate as any send.
    const savedDrafts = new SavedDraftsService({ db, box, clock, outbound, maxPerAgent: config.outbound.max_drafts_per_agent });
    savedDraftRoutes(routes, { agents, drafts: savedDrafts, outbound, idempotency });
    domainRoutes(routes, new DomainsService({ db, clock, resolver, dkim, sharedDomain: config.shared_domain, mxHost: config.smtp.hostname }));
    // ---- outbound sending + domains API: end ----

    // ---- MCP endpoint (/mcp): begin ----
    // The tools call this gateway's own API on loopback with the caller's key (see mcp/endpoint.ts),
    // so the endpoint needs the HTTP port, known only after listen: httpPort is read per request.
    const mountBesideApi = (app: Parameters<typeof mountDashboard>[0]) => {
      mountMcpEndpoint(app, { apiUrl: () => loopbackUrl(httpAddr.host, httpPort) });
      mountDashboard(app, { distDir: config.dashboard.dist_dir });
    };
    // ---- MCP endpoint: end ----

    const app = createHttpApp({
      routes,
      accounts,
      limits: httpLimits,
      logger: logger.child({ part: 'http' }),
      maxBodyBytes: config.http.max_body_bytes,
      trustProxy: config.http.trust_proxy,
      publicUrl: config.public_url,
      mount: mountBesideApi,
      ...(config.metrics.enabled && config.metrics.listen_addr === '' ? { metrics: metricsHandler(metrics, config.metrics.bearer_token) } : {}),
    });
    const http: Server = createServer(app);
    answerParserErrors(http);

    // ---- realtime (WebSocket delivery): begin ----
    // The hub, built first, is handed to the WebSocket server, which stops it with itself.
    const trustProxy = app.get('trust proxy fn') as TrustFn;
    const realtime = createRealtime({
      hub: realtimeHub,
      db,
      bus: eventBus,
      accounts,
      agents,
      clock,
      logger: realtimeLogger,
      config: config.realtime,
      limits: httpLimits,
      maxListenersPerAgent: apiLimits.max_listeners_per_agent,
      clientIp: (req) => clientIp(req, trustProxy),
      publicUrl: config.public_url,
    });
    realtime.attach(http);
    undo.push(() => realtime.stop());
    // ---- realtime: end ----

    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen({ port: httpAddr.port, host: httpAddr.host, reusePort }, () => resolve());
    });
    // ---- metrics listener (metrics.listen_addr): begin ----
    const metricsAddr = config.metrics.enabled && config.metrics.listen_addr !== '' ? parseHostPort(config.metrics.listen_addr)! : null;
    const metricsServer = metricsAddr ? createMetricsServer(metricsHandler(metrics, config.metrics.bearer_token)) : null;
    if (metricsServer && metricsAddr) {
      undo.push(() => new Promise<void>((resolve) => http.close(() => resolve())));
      await new Promise<void>((resolve, reject) => {
        metricsServer.once('error', reject);
        metricsServer.listen({ port: metricsAddr.port, host: metricsAddr.host, reusePort }, () => resolve());
      });
      logger.info({ addr: metricsServer.address() }, 'metrics listening');
    }
    // ---- metrics listener: end ----
    // Workers start once both listeners are up, so a failed start leaves nothing running.
    // The sweepers: each scans for due rows on its own poll, safe across replicas (workers/sweeper.ts).
    const sweepers = [holdExpiry, agentExpiry, accountExports, erasure, retention];
    webhookWorker.start();
    for (const sweeper of sweepers) sweeper.start();
    outboundWorker.start();
    systemMailWorker.start();
    httpPort = (http.address() as AddressInfo).port;
    const httpHost = httpAddr.host.includes(':') ? `[${httpAddr.host}]` : httpAddr.host;

    let stopping: Promise<void> | null = null;
    const openDb = database;
    return {
      database: openDb,
      secrets,
      accounts,
      dashboardSessions,
      realtime,
      agentExpiry,
      accountExports,
      erasure,
      retention,
      httpUrl: `http://${httpHost}:${httpPort}`,
      metricsUrl: metricsServer && metricsAddr ? `http://${metricsAddr.host.includes(':') ? `[${metricsAddr.host}]` : metricsAddr.host}:${(metricsServer.address() as AddressInfo).port}` : null,
      smtpPort: smtpListening.port,
      smtpHost: smtpAddr.host,
      reloadTls: (trigger = 'request') => (certificates ? certificates.reload(trigger) : Promise.resolve({ status: 'off' })),
      stop() {
        stopping ??= (async () => {
          // Stop taking new work first, let in-flight SMTP transactions commit, then close storage.
          const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
          const metricsClosed = new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
          metricsServer?.closeAllConnections();
          http.closeIdleConnections();
          certificates?.stop();
          await smtp.close();
          smtpOpen = false;
          http.closeAllConnections();
          // Upgraded sockets are no longer HTTP connections: close them (1001) or http.close never returns.
          await realtime.stop();
          // In-flight webhook attempts are recorded before the bus and the database close.
          await webhookWorker.stop();
          await webhookTransport.close();
          clearInterval(idempotencyPurge);
          clearInterval(limiterPurge);
          clearInterval(sessionPurge);
          await outboundWorker.stop();
          await systemMailWorker.stop();
          await outboundTransport?.close();
          for (const sweeper of sweepers) await sweeper.stop();
          // After SMTP and the outbound worker: nothing scans any more.
          await scanner.close();
          await eventBus.close();
          await httpClosed;
          await metricsClosed;
          metrics.stop();
          if (!options.database) await openDb.close();
          releaseLock();
        })();
        return stopping;
      },
    };
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => {});
    if (database && !options.database) await database.close().catch(() => {});
    releaseLock();
    throw err;
  }
}
