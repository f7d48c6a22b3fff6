/**
 * A PostgreSQL server of the test's own: initdb into a temporary directory, started on a free
 * loopback port. Fault tests stop, restart and terminate backends of this one; the shared server on
 * 127.0.0.1:5432 (TEST_DATABASE_URL) is never touched. PostgreSQL refuses to run as root, so when
 * the tests run as root every server command runs as the `postgres` user through runuser.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  readonly port: number;
  /** The server's own directory (data/, the socket, the log). */
  readonly dir: string;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication on loopback). */
  url(database?: string): string;
  /** One statement as the superuser on the `postgres` database, over a connection of its own. */
  query<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Ends the sessions on `database` (pg_terminate_backend, what an administrator or a failover
   * does), all of them or only those running a statement (`state: 'active'`), and returns the
   * states they were in. Runs on one kept admin connection, so a test can call it in a tight loop.
   */
  terminateBackends(database: string, only?: { state: 'active' }): Promise<string[]>;
  /** `pg_ctl stop` (fast: sessions are terminated, then a clean shutdown). Resolves once it is down. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** `pg_ctl start`. Resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops the server if it runs and deletes its directory. */
  destroy(): Promise<void>;
  /** The server log so far, for failure messages. */
  log(): string;
}

export interface PostgresClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/**
 * The directory holding initdb and pg_ctl: $PG_BINDIR, `pg_config --bindir`, the newest
 * /usr/lib/postgresql/<version>/bin (Debian keeps them off PATH), then PATH. Null if none has both.
 */
export async function findPostgresBinDir(): Promise<string | null> {
  const has = (dir: string) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'));
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const fromPgConfig = await run('pg_config', ['--bindir']).then((out) => out.trim(), () => '');
  if (fromPgConfig) candidates.push(fromPgConfig);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(delimiter).filter(Boolean));
  return candidates.find(has) ?? null;
}

export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = await findPostgresBinDir();
  if (!bin) {
    throw new Error('no PostgreSQL server binaries (initdb, pg_ctl) found: install the postgresql package, or set PG_BINDIR to the directory holding them');
  }
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'e2a-pg-'));
  if (asRoot) {
    const postgres = await run('id', ['-u', 'postgres']).then((out) => Number(out.trim()), () => NaN);
    const group = await run('id', ['-g', 'postgres']).then((out) => Number(out.trim()), () => NaN);
    if (!Number.isInteger(postgres) || !Number.isInteger(group)) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error('running as root, and there is no `postgres` user to run the test server as (PostgreSQL refuses root): create one, or run the tests as another user');
    }
    chownSync(dir, postgres, group);
  }
  const superuser = asRoot ? 'postgres' : userInfo().username;
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  // runuser keeps the caller's environment; a server started from a test must not inherit its PG* variables.
  const server = (tool: string, args: string[]) => run(asRoot ? 'runuser' : join(bin, tool), asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args, { cwd: dir });

  let port = 0;
  let running = false;
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    // Nothing here simulates an OS crash; durability of the server's own files is not under test.
    fsync: 'off',
    full_page_writes: 'off',
    max_connections: '50',
    ...options.settings,
  };
  // The connection terminateBackends keeps; dropped when the server stops under it.
  let admin: Promise<pg.Client> | null = null;
  const adminClient = (): Promise<pg.Client> => {
    admin ??= (async () => {
      const client = new pg.Client({ connectionString: cluster.url() });
      client.on('error', () => {
        admin = null;
      });
      client.on('end', () => {
        admin = null;
      });
      await client.connect();
      return client;
    })().catch((err: unknown) => {
      admin = null;
      throw err;
    });
    return admin;
  };
  const closeAdmin = async () => {
    const current = admin;
    admin = null;
    await current?.then((c) => c.end()).catch(() => {});
  };
  const serverOptions = () => [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');

  const cluster: PostgresCluster = {
    get port() {
      return port;
    },
    dir,
    url: (database = 'postgres') => `postgres://${superuser}@127.0.0.1:${port}/${database}`,
    async query<R extends Record<string, unknown>>(text: string, values?: unknown[]) {
      const client = new pg.Client({ connectionString: cluster.url() });
      // A server stopping under this connection reports it as an 'error' event.
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query<R>(text, values)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name ${name}: use lower-case letters, digits and _`);
      await cluster.query(`CREATE DATABASE ${name}`);
      return cluster.url(name);
    },
    async terminateBackends(database, only) {
      const client = await adminClient();
      const { rows } = await client.query<{ state: string | null }>(
        `SELECT state, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            AND ($2::text IS NULL OR state = $2)`,
        [database, only?.state ?? null],
      );
      return rows.map((r) => r.state ?? 'unknown');
    },
    async stop(mode = 'fast') {
      await closeAdmin();
      await server('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    async start() {
      await server('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions()]);
      running = true;
    },
    async destroy() {
      await closeAdmin();
      if (running) await cluster.stop('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };

  try {
    await server('initdb', ['-D', data, '-U', superuser, '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    // A port another process takes between the probe and the start makes pg_ctl fail: try anew.
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      try {
        await cluster.start();
        break;
      } catch (err) {
        if (attempt >= 2) throw err;
      }
    }
  } catch (err) {
    const log = cluster.log();
    await cluster.destroy();
    throw new Error(`test PostgreSQL server did not start: ${(err as Error).message}\n${log}`);
  }
  return cluster;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function run(command: string, args: string[], options: { cwd?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
    execFile(command, args, { ...options, env, timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}
