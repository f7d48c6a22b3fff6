/**
 * e2a-server: the process entry. `serve` (default) runs the gateway; `bootstrap --email` creates a
 * user and prints an API key; `migrate [--verify]` applies or checks the schema; `search-index`
 * indexes mail stored before search existed.
 * Exit codes: 0 ok, 1 failure, 2 bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { systemClock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/database.js';
import { migrate, verifyMigrations } from './db/migrator.js';
import { acquirePidLock, DataDirLockedError } from './db/pid-lock.js';
import { watchParent } from './parent-watch.js';
import { hostPort, onSupervisorGone, PROCESS_INDEX_OPTION, reportListening, supervise } from './processes/supervisor.js';

const USAGE = `usage: e2a-server [serve|bootstrap|migrate|search-index] [options]

  serve [--admin-email ADDR]  run SMTP relay + HTTP API (default); the first start creates an
                              admin account at ADDR (or E2A_ADMIN_EMAIL), where its review mail goes
  serve --stop-with-parent    also stop when the process that started it ends (npm start passes it)
  serve --processes N         run N gateway processes on the same ports, supervised by this one
                              (or E2A_PROCESSES; 0 = one per core; PostgreSQL only)
  bootstrap --email ADDRESS   create a user and print an account API key
  migrate [--verify]          apply pending migrations, or only check them (exit 1 if not current)
  search-index                index messages stored before search existed (docs/SEARCH.md); safe
                              to run while the gateway serves, and again after an interruption

options:
  --config PATH               config.yaml (or E2A_CONFIG); every key also reads E2A_<SECTION>_<KEY>
  -h, --help                  this text`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        email: { type: 'string' },
        'admin-email': { type: 'string' },
        'stop-with-parent': { type: 'boolean', default: false },
        processes: { type: 'string' },
        // Internal: set by the supervisor on each process it starts (processes/supervisor.ts).
        [PROCESS_INDEX_OPTION]: { type: 'string' },
        verify: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  if (positionals.length > 1) throw new UsageError(`unexpected argument: ${positionals[1]}`);
  const config = loadConfig({ configPath: values.config, flags: { E2A_ADMIN_EMAIL: values['admin-email'], E2A_PROCESSES: values.processes } });
  const processIndex = values[PROCESS_INDEX_OPTION];

  switch (command) {
    case 'serve':
      if (config.processes > 1 && processIndex === undefined) {
        return supervise({
          processes: config.processes,
          entry: process.argv[1]!,
          args: argv,
          // Its lines name the child they are about by `process` (slot) and `pid`.
          logger: pino({ level: config.log.level, base: { service: 'e2a' } }),
          forwardHangup: config.smtp.tls_cert_file !== '',
          stopWithParent: values['stop-with-parent'],
        });
      }
      return serve(config, { stopWithParent: values['stop-with-parent'], processIndex: processIndex === undefined ? null : Number(processIndex) });
    case 'bootstrap':
      if (!values.email) throw new UsageError('bootstrap needs --email you@example.com');
      return withDatabase(config, async (handle) => {
        await migrate(handle);
        const { AccountsService } = await import('./accounts/service.js');
        const accounts = new AccountsService({ db: handle.db, clock: systemClock });
        const result = await accounts.bootstrap(values.email!);
        process.stdout.write(`${result.created ? 'Created user' : 'User exists:'} ${result.email}\nAPI key: ${result.apiKey.key}\n`);
        return 0;
      });
    case 'migrate':
      return withDatabase(config, async (handle) => {
        if (values.verify) {
          const status = await verifyMigrations(handle);
          for (const name of status.mismatched) process.stdout.write(`changed after apply: ${name}\n`);
          for (const name of status.pending) process.stdout.write(`pending: ${name}\n`);
          const ok = status.pending.length === 0 && status.mismatched.length === 0;
          process.stdout.write(ok ? `schema current (${status.applied.length} migrations)\n` : 'schema not current\n');
          return ok ? 0 : 1;
        }
        const status = await migrate(handle);
        process.stdout.write(`schema current (${status.applied.length} migrations)\n`);
        return 0;
      });
    case 'search-index':
      return withDatabase(config, async (handle) => {
        await migrate(handle);
        const [{ resolveSecrets }, { SecretBox }, { indexUnindexedMessages }] = await Promise.all([
          import('./settings/secrets.js'),
          import('./crypto/secret-box.js'),
          import('./messages/search-index.js'),
        ]);
        const box = new SecretBox((await resolveSecrets(handle.db, config)).encryptionKey);
        const indexed = await indexUnindexedMessages(handle.db, box, { onBatch: (p) => process.stdout.write(`indexed ${p.indexed} (up to ${p.lastId})\n`) });
        process.stdout.write(`search index current: ${indexed} message(s) indexed\n`);
        return 0;
      });
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function withDatabase(config: Config, fn: (handle: DatabaseHandle) => Promise<number>): Promise<number> {
  const release = config.database.url ? () => {} : acquirePidLock(config.data_dir);
  let handle: DatabaseHandle | null = null;
  try {
    handle = await openDatabase({ url: config.database.url, dataDir: config.data_dir, poolSize: 2, embeddedFsync: config.database.embedded_fsync });
    return await fn(handle);
  } finally {
    await handle?.close();
    release();
  }
}

async function serve(config: Config, options: { stopWithParent: boolean; processIndex: number | null }): Promise<number> {
  // One of several processes: its lines say which (and the pid, which a restart changes).
  const base = options.processIndex === null ? { service: 'e2a' } : { service: 'e2a', process: options.processIndex, pid: process.pid };
  const logger = pino({ level: config.log.level, base });
  // Loaded here, not at the top: the gateway's modules (SMTP, HTTP, MIME, mailauth, MCP, the
  // services) take ~0.4 s to load, which `migrate`, --help and a usage error need not pay.
  const [{ createGateway }, { firstStart }] = await Promise.all([import('./gateway.js'), import('./accounts/first-account.js')]);
  const gateway = await createGateway({ config, logger });

  let start;
  try {
    start = await firstStart({ db: gateway.database.db, accounts: gateway.accounts, config, signInLink: (userId) => gateway.dashboardSessions.linkForUser(userId) });
  } catch (err) {
    await gateway.stop();
    throw err;
  }
  if (start.banner.length > 0) process.stdout.write(start.banner.join('\n') + '\n');
  if (start.warning) logger.warn(start.warning);
  // SIGHUP re-reads the STARTTLS certificate and key, as it does for Postfix and nginx (a certbot
  // deploy hook can send it). Only with a certificate configured: otherwise SIGHUP keeps its
  // default meaning, so closing the terminal of a development server still ends it.
  if (config.smtp.tls_cert_file !== '') process.on('SIGHUP', () => void gateway.reloadTls('SIGHUP'));
  // The handlers come before the "listening" line: a supervisor or test may signal as soon as it
  // reads it, and a SIGTERM that finds no handler ends the process without the graceful stop.
  const stopRequested = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down: no new connections, finishing in-flight transactions');
      // A second signal means "now".
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    if (options.stopWithParent) {
      watchParent((parent) => {
        logger.info({ parent }, 'shutting down: the process that started this gateway has ended (no signal reached it)');
        resolve();
      });
    }
    if (options.processIndex !== null) {
      onSupervisorGone(() => {
        logger.info('shutting down: the supervising process has ended');
        resolve();
      });
    }
  });
  logger.info({ http: gateway.httpUrl, smtp: `${gateway.smtpHost}:${gateway.smtpPort}`, public_url: config.public_url }, 'e2a listening');
  if (options.processIndex !== null) {
    reportListening({
      smtp: hostPort(gateway.smtpHost, gateway.smtpPort),
      http: new URL(gateway.httpUrl).host,
      metrics: gateway.metricsUrl ? new URL(gateway.metricsUrl).host : null,
    });
  }
  await stopRequested;
  await gateway.stop();
  logger.info('stopped');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`e2a-server: ${err.message}\n`);
      if (err instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof DataDirLockedError) {
      process.stderr.write(`e2a-server: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`e2a-server: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
