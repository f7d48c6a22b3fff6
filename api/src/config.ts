/**
 * Configuration: config.yaml (path from --config or E2A_CONFIG), every key overridable by
 * E2A_<SECTION>_<KEY>. Parsed and validated once at start-up; the result is frozen. This is the only
 * module that reads process.env.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { secretsRelated } from './crypto/related-secrets.js';

const hostPort = z.string().refine((v) => parseHostPort(v) !== null, 'expected host:port, e.g. 127.0.0.1:8080');
const secret = z.string();
const csv = z.union([z.array(z.string()), z.string().transform((v) => (v.trim() === '' ? [] : v.split(',').map((s) => s.trim())))]);
/** A limit or cap: a whole number, 0 turns it off. */
const limit = (fallback: number) => z.coerce.number().int().min(0).default(fallback);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);

const schema = z.object({
  env: z.enum(['development', 'production', 'test']).default('development'),
  data_dir: z.string().min(1).default('./data'),
  public_url: z.url().default('http://127.0.0.1:8080'),
  /**
   * Where mail to postmaster@ and abuse@ every served domain goes (RFC 5321 §4.5.1, RFC 2142). Empty:
   * the account created on first start. An agent of this gateway receives it in its mailbox; any
   * other address gets it forwarded, the original attached.
   */
  postmaster_address: z
    .string()
    .default('')
    .refine((v) => v === '' || /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(v), 'expected an email address, e.g. ops@example.com'),
  /**
   * The email of the account created on first start (`--admin-email`): a human's address, since
   * review mail and (without postmaster_address) postmaster@ mail go there. Production will not
   * create that account without it. No tenant may create an agent at it (agents/reserved.ts).
   */
  admin_email: z
    .string()
    .default('')
    .refine((v) => v === '' || /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(v), 'expected an email address, e.g. ops@example.com'),
  shared_domain: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/, 'expected a lower-case domain name')
    .default('agents.localhost'),
  /** Local parts no tenant may create on the shared domain, besides the built-in ones (agents/reserved.ts). */
  shared_domain_reserved: csv
    .default([])
    .refine((list) => list.every((l) => /^[A-Za-z0-9._+-]{1,64}$/.test(l)), 'expected comma-separated local parts (letters, digits, . _ + -), e.g. billing,support'),
  /**
   * Gateway processes on this machine, all serving the same ports (docs/OPERATIONS.md "Several
   * processes on one machine"): 1 runs the gateway in this process; N > 1 runs N children supervised
   * by this one; 0 is one per core. More than one needs PostgreSQL and SO_REUSEPORT.
   */
  processes: z.coerce.number().int().min(0).max(256).default(1),
  http: z
    .object({
      listen_addr: hostPort.default('127.0.0.1:8080'),
      trust_proxy: bool.default(false),
      max_body_bytes: z.coerce.number().int().positive().default(35 * 1024 * 1024),
    })
    .prefault({}),
  metrics: z
    .object({
      /** GET /metrics in the Prometheus text format (docs/OPERATIONS.md "Metrics"). */
      enabled: bool.default(true),
      /** When set, /metrics answers 401 without `Authorization: Bearer <token>`. */
      bearer_token: z.string().default(''),
      /** host:port of a listener of its own for /metrics; empty = served on http.listen_addr. */
      listen_addr: z
        .string()
        .default('')
        .refine((v) => v === '' || parseHostPort(v) !== null, 'expected host:port, e.g. 127.0.0.1:9464, or empty for the HTTP listener'),
    })
    .prefault({}),
  smtp: z
    .object({
      listen_addr: hostPort.default('127.0.0.1:2525'),
      hostname: z.string().min(1).default('localhost'),
      max_message_bytes: z.coerce.number().int().min(1024).default(25 * 1024 * 1024),
      max_recipients: z.coerce.number().int().min(1).max(1000).default(100),
      /**
       * Message limits, checked at the end of DATA before anything parses the message; over one, the
       * message is refused with a reply naming it (552 5.3.4 header, 554 5.6.0 MIME). Defaults and
       * why: docs/OPERATIONS.md "Message limits".
       */
      max_header_bytes: z.coerce.number().int().min(8 * 1024).max(16 * 1024 * 1024).default(256 * 1024),
      max_header_lines: z.coerce.number().int().min(100).max(100_000).default(5000),
      max_mime_depth: z.coerce.number().int().min(2).max(1000).default(32),
      max_mime_parts: z.coerce.number().int().min(2).max(100_000).default(1000),
      trusted_proxy_cidrs: csv.default([]),
      /** PEM certificate chain (leaf first) and its key for STARTTLS; both empty = STARTTLS not offered. */
      tls_cert_file: z.string().default(''),
      tls_key_file: z.string().default(''),
      /** How often both files are checked for a replacement (certbot renewals); 0 = only SIGHUP reloads. */
      tls_watch_interval_ms: z.coerce
        .number()
        .int()
        .min(0)
        .max(3_600_000)
        .default(5000)
        .refine((v) => v === 0 || v >= 100, 'expected 0 (no watching) or at least 100'),
    })
    .prefault({}),
  smtp_limits: z
    .object({
      /** Sessions one process serves at once; keep well below the file-descriptor limit (ulimit -n). */
      max_connections: z.coerce.number().int().min(1).max(100_000).default(500),
      /** Sessions one client network (an IPv4 address or an IPv6 /64) may hold at once. */
      max_connections_per_client: z.coerce.number().int().min(1).max(100_000).default(20),
      /** A session that sends nothing for this long is closed (RFC 5321 §4.5.3.2 suggests 5 min; busy MXs use less). */
      idle_timeout_seconds: z.coerce.number().min(0.05).max(3600).default(60),
      /** No session lasts longer; it gets 421 4.4.2 and may reconnect. */
      max_session_seconds: z.coerce.number().min(0.1).max(86_400).default(600),
      /** After its first idle_timeout_seconds, a session must average this many bytes/s (slowloris); 0 = off. */
      min_data_rate_bytes_per_second: z.coerce.number().min(0).max(1_000_000).default(16),
      /** Refused recipients one session may try before 421 4.7.0. */
      max_refused_recipients: z.coerce.number().int().min(1).max(10_000).default(10),
      /** Each refused recipient is answered this much later than the session's previous one… */
      refused_recipient_delay_ms: z.coerce.number().int().min(0).max(60_000).default(500),
      /** …up to this. */
      refused_recipient_delay_max_ms: z.coerce.number().int().min(0).max(300_000).default(5000),
      /** Shared by all replicas; 0 turns a limit off. Transactions per client network per minute. */
      transactions_per_client_per_minute: limit(600),
      /** Accepted recipients (message copies) per client network per minute. */
      messages_per_client_per_minute: limit(1200),
      /** Messages one envelope sender may put into one mailbox per hour; more get 450 4.2.1. */
      messages_per_sender_per_mailbox_per_hour: limit(200),
      /** Refused recipients per client network per hour, across sessions (address harvesting). */
      refused_recipients_per_client_per_hour: limit(100),
    })
    .prefault({}),
  api_limits: z
    .object({
      /** Shared by all replicas; 0 turns a limit off. Requests per API key per minute. */
      requests_per_key_per_minute: limit(3000),
      /** Requests per client network (IPv4 address or IPv6 /64) per minute, with or without a key. */
      requests_per_client_per_minute: limit(6000),
      /** Requests with a bad or revoked key, per client network per hour; past it 429 instead of 401. */
      failed_auth_per_client_per_hour: limit(30),
      /** Send, reply and forward calls per agent per minute. */
      sends_per_agent_per_minute: limit(120),
      /** The same per day: a quota, answered 402 quota_exceeded. */
      sends_per_agent_per_day: limit(5000),
      /** POST /v1/webhooks/{id}/test per account per hour (each one makes an outbound request). */
      webhook_tests_per_account_per_hour: limit(60),
      /** /review/{token} magic-link requests per client network per hour (token guessing). */
      review_link_attempts_per_client_per_hour: limit(60),
      /** GET /sign-in/{token} requests per client network per hour (token guessing). */
      sign_in_link_attempts_per_client_per_hour: limit(60),
      /** POST /v1/sign-in/email per client network per hour (each may send a mail). */
      sign_in_emails_per_client_per_hour: limit(10),
      /**
       * POST /v1/sign-in/email per address asked for, per hour, whichever clients ask: many networks
       * cannot fill one inbox with sign-in mail. Counted whether or not an account has the address.
       */
      sign_in_emails_per_address_per_hour: limit(5),
      /** WebSocket connections per API key (or dashboard session) per minute. */
      websocket_connects_per_key_per_minute: limit(60),
      /** WebSocket upgrades without a header credential, per client network per minute. */
      websocket_unauthenticated_per_client_per_minute: limit(60),
      /** Resource caps per account (402 quota_exceeded naming the cap); 0 = no cap. */
      max_agents_per_account: limit(1000),
      max_api_keys_per_account: limit(200),
      max_webhooks_per_account: limit(50),
      /** WebSocket listeners one agent may hold open at once, per process. */
      max_listeners_per_agent: limit(20),
    })
    .prefault({}),
  agents: z
    .object({
      /** Ephemeral inboxes (docs/EPHEMERAL.md): the longest ttl_seconds / expires_at a create or extend may ask for. */
      max_ttl_days: z.coerce.number().min(1).max(36_500).default(365),
      /** agent.expiring is emitted this long before an agent expires (once per expiry). */
      expiring_notice_minutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60),
      /** How often each process looks for agents to notify or to delete. */
      expiry_poll_interval_ms: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    })
    .prefault({}),
  /** Contact requests and grants (docs/CONTACTS.md). */
  contacts: z
    .object({
      /** How long a request's verification code may be used. */
      code_ttl_minutes: z.coerce.number().int().min(1).max(30 * 24 * 60).default(60),
      /** Pending requests one agent may have at once; a further one is refused with 409. */
      max_pending_per_agent: z.coerce.number().int().min(1).max(1000).default(3),
      /** Approvals (codes tried) per client network per hour, on the shared limiter; 0 = no limit. */
      approvals_per_client_per_hour: z.coerce.number().int().min(0).default(30),
    })
    .prefault({}),
  /** Labels on messages and conversations (docs/LABELS.md). */
  labels: z
    .object({
      /** User labels one agent may have; a change that would create more is refused with 402. */
      max_per_agent: z.coerce.number().int().min(1).max(10_000).default(200),
    })
    .prefault({}),
  /** Account exports (docs/DATA.md "Export"). */
  exports: z
    .object({
      /** A finished archive can be downloaded for this long, then it is deleted. */
      retention_hours: z.coerce.number().min(1).max(24 * 30).default(72),
      /** How often each process looks for export jobs to run (a job started here begins at once). */
      poll_interval_ms: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    })
    .prefault({}),
  /** Account and agent erasure (docs/DATA.md "Erasure"). */
  erasure: z
    .object({
      /**
       * From DELETE /v1/account or DELETE /v1/agents/{address} to the start of erasure: the scope is
       * disabled at once and can be restored (cancelled) until then. 0 erases at the next sweep.
       */
      grace_period_hours: z.coerce.number().min(0).max(24 * 90).default(72),
      /** How often each process looks for erasures that are due. */
      poll_interval_ms: z.coerce.number().int().min(100).max(3_600_000).default(5000),
    })
    .prefault({}),
  /** Retention and trash (docs/RETENTION.md). */
  retention: z
    .object({
      /** How long a trashed message can be restored; then the retention worker purges it. */
      trash_days: z.coerce.number().int().min(0).max(3650).default(30),
      /** How often each process looks for messages past their retention and trash past trash_days. */
      poll_interval_ms: z.coerce.number().int().min(100).max(3_600_000).default(60_000),
      /** Messages trashed or purged per transaction. */
      batch_size: z.coerce.number().int().min(1).max(10_000).default(500),
    })
    .prefault({}),
  database: z
    .object({
      url: z.string().default('').refine((v) => v === '' || /^postgres(ql)?:\/\//.test(v), 'expected postgres://… or empty for the embedded database'),
      pool_size: z.coerce.number().int().min(1).max(200).default(10),
      /**
       * Embedded database only: fsync the WAL at every commit, so a 250 survives an OS crash or power
       * cut. Off is faster and survives a killed process, but not a crash of the machine.
       */
      embedded_fsync: bool.default(true),
    })
    .prefault({}),
  dns: z
    .object({
      servers: csv
        .default([])
        .refine((list) => list.every((s) => parseHostPort(s, 53) !== null), 'expected comma-separated ip[:port] entries'),
      timeout_ms: z.coerce.number().int().min(100).max(60_000).default(5000),
      cache_ttl_seconds: z.coerce.number().int().min(0).max(86_400).default(300),
    })
    .prefault({}),
  signing: z
    .object({
      /** HMAC-SHA256 secret for the X-E2A-Auth-* claims. */
      hmac_secret: secret.default(''),
      /** Older secrets still accepted by verifiers during a rotation (not used to sign). */
      previous_hmac_secrets: csv.default([]),
    })
    .prefault({}),
  storage: z
    .object({
      /** 32 bytes, base64 or hex: AES-256-GCM key for bodies and secrets at rest. */
      encryption_key: secret.default(''),
    })
    .prefault({}),
  outbound: z
    .object({
      /** Recipients (to + cc + bcc) per message. */
      max_recipients: z.coerce.number().int().min(1).max(1000).default(50),
      max_attachments: z.coerce.number().int().min(0).max(500).default(20),
      max_attachment_bytes: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
      /** Temporary failures are retried with backoff for this long, then the message fails. */
      retry_hours: z.coerce.number().min(0.001).max(24 * 30).default(72),
      /** Messages sent at once by one process. */
      concurrency: z.coerce.number().int().min(1).max(500).default(16),
      poll_interval_ms: z.coerce.number().int().min(10).max(60_000).default(1000),
      /** DKIM selector for keys the gateway generates. */
      dkim_selector: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a DNS label').default('e2a'),
      /** How far ahead a send's `send_at` may be (outbound/schedule.ts). */
      max_schedule_days: z.coerce.number().int().min(1).max(3660).default(365),
      /** Saved drafts one agent may hold (saved-drafts/); more is refused with 409. */
      max_drafts_per_agent: z.coerce.number().int().min(1).max(100_000).default(1000),
    })
    .prefault({}),
  outbound_smtp: z
    .object({
      /**
       * upstream: relay through host:port; direct: to each recipient domain's MX; outbox: external
       * mail is captured in the local outbox (GET /v1/outbox) and nothing leaves; none: external mail
       * fails with a reason. With env development none means outbox (resolveOutboundMode).
       */
      mode: z.enum(['upstream', 'direct', 'outbox', 'none']).default('none'),
      host: z.string().default(''),
      port: z.coerce.number().int().min(1).max(65535).default(587),
      username: z.string().default(''),
      password: z.string().default(''),
      /** Refuse to send if the upstream does not offer STARTTLS (or is not implicit TLS on 465). */
      require_tls: bool.default(true),
      pool_size: z.coerce.number().int().min(1).max(100).default(5),
      /**
       * Messages a pooled connection carries before it is replaced; 0 = no limit (as Postfix's
       * smtp_connection_reuse_count_limit). A new connection costs a greeting that servers delay on
       * purpose (100 ms to seconds), and the messages waiting for it wait as long: replacing every
       * connection each N messages showed as 100–300 ms stalls. Set it to an upstream's own
       * per-connection limit, if it has one, so no message meets that refusal.
       */
      max_messages_per_connection: z.coerce.number().int().min(0).max(1_000_000).default(0),
      timeout_ms: z.coerce.number().int().min(1000).max(600_000).default(30_000),
    })
    .prefault({}),
  dashboard: z
    .object({
      /** How long a browser stays signed in after opening a sign-in link. */
      session_ttl_hours: z.coerce.number().int().min(1).max(24 * 90).default(12),
      /** How long a sign-in link may be opened (once). */
      sign_in_link_ttl_minutes: z.coerce.number().int().min(1).max(24 * 60).default(15),
      /** The built dashboard (index.html, assets/); empty: dashboard/dist of this installation, else dashboard/public. */
      dist_dir: z.string().default(''),
    })
    .prefault({}),
  review: z
    .object({
      /** From address of review notification mail; default review@<shared_domain>. */
      notify_from: z.string().default(''),
    })
    .prefault({}),
  webhooks: z
    .object({
      /** Allow http:// URLs and private, loopback and link-local targets (development only). */
      allow_private_targets: bool.default(false),
      /** Per attempt: connect + response. */
      timeout_ms: z.coerce.number().int().min(100).max(120_000).default(10_000),
      /** Deliveries attempted at once by one process. */
      concurrency: z.coerce.number().int().min(1).max(1000).default(32),
      /** How often a process looks for due deliveries when no notification woke it. */
      poll_interval_ms: z.coerce.number().int().min(10).max(60_000).default(1000),
      /** A webhook failing with no success for this long is disabled. */
      disable_after_hours: z.coerce.number().min(0.001).max(24 * 90).default(72),
    })
    .prefault({}),
  realtime: z
    .object({
      ping_interval_ms: z.coerce.number().int().min(100).max(300_000).default(30_000),
      /** First-frame auth must arrive within this time. */
      auth_timeout_ms: z.coerce.number().int().min(100).max(60_000).default(5000),
      /** Fallback poll for events whose notification was missed. */
      poll_interval_ms: z.coerce.number().int().min(10).max(60_000).default(1000),
      /**
       * Re-check of every open listener's key and agent, for revocations whose notification was
       * missed: the longest a revoked key's listener can stay open when its notice is lost.
       */
      credential_check_interval_ms: z.coerce.number().int().min(100).max(300_000).default(10_000),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type Config = Readonly<z.infer<typeof schema>> & { readonly configFile: string | null };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Where listen({ reusePort }) load-balances connections over the processes bound to a port (Node's
 * net docs: Linux 3.9+, FreeBSD 12+, Solaris 11.4, AIX 7.2.5+). macOS and Windows have no such mode.
 */
const REUSE_PORT_PLATFORMS = new Set<string>(['linux', 'freebsd', 'sunos', 'aix']);

/** Placeholder values the example config ships with; production refuses them. */
const PLACEHOLDERS = ['', 'change-me', 'changeme', 'secret', 'dev-secret'];

export interface LoadConfigOptions {
  /** Path from --config; falls back to E2A_CONFIG, then no file. */
  configPath?: string;
  env?: Record<string, string | undefined>;
  /** Command-line flags by their E2A_* name (`--admin-email` is E2A_ADMIN_EMAIL); they win over env. */
  flags?: Record<string, string | undefined>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const path = options.configPath ?? env.E2A_CONFIG ?? null;
  let fromFile: Record<string, unknown> = {};
  if (path) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(`config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    try {
      fromFile = (parseYaml(text) as Record<string, unknown> | null) ?? {};
    } catch (err) {
      throw new ConfigError(`config: ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    if (typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new ConfigError(`config: ${path} must be a mapping of sections`);
  }

  const flags = Object.fromEntries(Object.entries(options.flags ?? {}).filter(([, v]) => v !== undefined));
  const merged = applyEnv(structuredClone(fromFile), { ...env, ...flags });
  const result = schema.safeParse(merged);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const key = issue.path.join('.');
    throw new ConfigError(`config: ${key} (env ${envName(issue.path.map(String))}): ${issue.message}`);
  }
  const config = result.data;
  if (config.env === 'production') {
    // Claims are signed per account now (accounts/claims-keys.ts): the gateway-wide secret signs
    // nothing and may be left empty; one that is set must still be a real secret.
    if (config.signing.hmac_secret !== '' && (PLACEHOLDERS.includes(config.signing.hmac_secret) || config.signing.hmac_secret.length < 32)) {
      throw new ConfigError('config: signing.hmac_secret (env E2A_SIGNING_HMAC_SECRET): production needs a random secret of at least 32 characters, or none (it signs nothing since claims are signed per account)');
    }
    if (PLACEHOLDERS.includes(config.storage.encryption_key)) {
      throw new ConfigError('config: storage.encryption_key (env E2A_STORAGE_ENCRYPTION_KEY): production needs a 32-byte key (openssl rand -base64 32)');
    }
    // Independent keys: whoever learns one must not hold the other (crypto/related-secrets.ts).
    if ([config.signing.hmac_secret, ...config.signing.previous_hmac_secrets].some((s) => secretsRelated(s, config.storage.encryption_key))) {
      throw new ConfigError(
        'config: storage.encryption_key (env E2A_STORAGE_ENCRYPTION_KEY): production needs a key independent of signing.hmac_secret, not equal to it, another encoding of it or a part of it; generate each with openssl rand -base64 32',
      );
    }
  }
  // /metrics on the API's own listener, reachable from other hosts, would show anyone the traffic.
  if (config.env === 'production' && config.metrics.enabled && config.metrics.listen_addr === '' && config.metrics.bearer_token === '' && !isLoopbackHost(parseHostPort(config.http.listen_addr)!.host)) {
    throw new ConfigError(
      `config: metrics.bearer_token (env E2A_METRICS_BEARER_TOKEN): production serves /metrics on http.listen_addr ${config.http.listen_addr}, which other hosts reach; set a token (openssl rand -hex 24), or metrics.listen_addr to an address of its own (e.g. 127.0.0.1:9464), or metrics.enabled false`,
    );
  }
  if (config.outbound_smtp.mode === 'upstream' && config.outbound_smtp.host === '') {
    throw new ConfigError('config: outbound_smtp.host (env E2A_OUTBOUND_SMTP_HOST): mode upstream needs a host; set it or use mode none|direct|outbox');
  }
  if (config.outbound_smtp.mode === 'none' && config.outbound_smtp.host !== '') {
    throw new ConfigError(
      'config: outbound_smtp.mode and outbound_smtp.host (env E2A_OUTBOUND_SMTP_MODE, E2A_OUTBOUND_SMTP_HOST): a host is set but mode is none, so nothing would use it; set mode upstream to relay through the host, or clear the host',
    );
  }
  config.outbound_smtp.mode = resolveOutboundMode(config.env, config.outbound_smtp.mode);
  if ((config.smtp.tls_cert_file === '') !== (config.smtp.tls_key_file === '')) {
    throw new ConfigError(
      'config: smtp.tls_cert_file and smtp.tls_key_file (env E2A_SMTP_TLS_CERT_FILE, E2A_SMTP_TLS_KEY_FILE): STARTTLS needs both the certificate and its key; set both, or neither to turn it off',
    );
  }
  if (config.processes === 0) config.processes = availableParallelism();
  if (config.processes > 1 && config.database.url === '') {
    throw new ConfigError(
      `config: processes (env E2A_PROCESSES): ${config.processes} processes need PostgreSQL (database.url, env E2A_DATABASE_URL): the embedded database in data_dir belongs to one process; set a database URL, or processes 1`,
    );
  }
  if (config.processes > 1 && !REUSE_PORT_PLATFORMS.has(process.platform)) {
    throw new ConfigError(
      `config: processes (env E2A_PROCESSES): ${config.processes} processes share their ports with SO_REUSEPORT, which Node offers on Linux, FreeBSD, Solaris and AIX, not on ${process.platform}; use processes 1 and run one replica per port behind a load balancer`,
    );
  }
  if (config.storage.encryption_key !== '' && decodeKey(config.storage.encryption_key) === null) {
    throw new ConfigError('config: storage.encryption_key (env E2A_STORAGE_ENCRYPTION_KEY): expected 32 bytes as base64 or hex (openssl rand -base64 32)');
  }
  return deepFreeze({ ...config, configFile: path });
}

/**
 * The one rule for outbound_smtp.mode none: in development (a laptop with no relay) it means outbox,
 * so review links and agents' sends can be read locally; in test and production it stays none and
 * mail to outside addresses fails with a reason. Production never captures unless mode outbox is
 * written out.
 */
export function resolveOutboundMode(env: 'development' | 'production' | 'test', mode: 'upstream' | 'direct' | 'outbox' | 'none'): typeof mode {
  return env === 'development' && mode === 'none' ? 'outbox' : mode;
}

/** E2A_<SECTION>_<KEY> for every key the schema knows; top-level keys are E2A_<KEY>. */
function applyEnv(target: Record<string, unknown>, env: Record<string, string | undefined>): Record<string, unknown> {
  for (const [key, field] of Object.entries(schema.shape)) {
    const inner = unwrapObject(field);
    if (inner) {
      for (const sub of Object.keys(inner.shape)) {
        const value = env[envName([key, sub])];
        if (value === undefined) continue;
        const section = (target[key] ??= {}) as Record<string, unknown>;
        if (typeof section !== 'object' || section === null) throw new ConfigError(`config: ${key} must be a mapping`);
        section[sub] = value;
      }
    } else {
      const value = env[envName([key])];
      if (value !== undefined) target[key] = value;
    }
  }
  return target;
}

/** Every environment variable the config reads, in schema order (documented in config.yaml.example). */
export function configEnvNames(): string[] {
  const names = ['E2A_CONFIG'];
  for (const [key, field] of Object.entries(schema.shape)) {
    const inner = unwrapObject(field);
    if (inner) for (const sub of Object.keys(inner.shape)) names.push(envName([key, sub]));
    else names.push(envName([key]));
  }
  return names;
}

function unwrapObject(field: z.ZodType): z.ZodObject | null {
  let current: z.ZodType = field;
  for (let i = 0; i < 4; i++) {
    if (current instanceof z.ZodObject) return current;
    const def = (current as unknown as { def: { innerType?: z.ZodType } }).def;
    if (!def.innerType) return null;
    current = def.innerType;
  }
  return null;
}

/**
 * The environment for a gateway process this one starts (`processes` > 1): this process's own, with
 * `overrides` (E2A_* names) on top, e.g. the ports the first process was given for `:0`.
 */
export function childEnvironment(overrides: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}

/** The one-line error naming a key, for checks made after loading (files the config points at). */
export function configKeyError(key: string, message: string): ConfigError {
  return new ConfigError(`config: ${key} (env ${envName(key.split('.'))}): ${message}`);
}

function envName(path: string[]): string {
  return `E2A_${path.map((p) => p.toUpperCase()).join('_')}`;
}

export function parseHostPort(value: string, defaultPort?: number): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\](?::(\d+))?$|^([^:]+)(?::(\d+))?$/.exec(value.trim());
  if (!m) return null;
  const host = m[1] ?? m[3]!;
  const portText = m[2] ?? m[4];
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  if (m[1] && isIP(host) !== 6) return null;
  return { host, port };
}

/** 127.0.0.0/8, ::1 and localhost: reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function decodeKey(text: string): Buffer | null {
  const hex = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : null;
  if (hex) return hex;
  const b64 = Buffer.from(text, 'base64');
  return b64.length === 32 ? b64 : null;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
