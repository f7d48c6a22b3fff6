/**
 * Durable commits on embedded PGlite (durable-node-fs.ts). These tests are also the tripwire for
 * the PGlite internals that file relies on: after a PGlite upgrade that moves them, they fail
 * instead of letting commits silently stop reaching the disk.
 */
import { spawn } from 'node:child_process';
import { existsSync, fstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { createGateway } from '../gateway.js';
import { compiled, REPO_ROOT } from '../../../testing/compiled.js';
import { openDatabase, type Database } from './database.js';
import { DurableNodeFS, durableStartParams } from './durable-node-fs.js';

async function setting(db: Database, name: 'fsync' | 'synchronous_commit' | 'wal_sync_method'): Promise<string> {
  const result = await sql<Record<string, string>>`select current_setting(${name}) as value`.execute(db);
  return result.rows[0]!.value!;
}

describe('durable commits on embedded PGlite', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'e2a-durable-'));
    // One initdb for every test: each reopens this data directory its own way.
    const handle = await openDatabase({ url: '', dataDir });
    await sql`create table notes (id int primary key)`.execute(handle.db);
    await sql`insert into notes values (1)`.execute(handle.db);
    await handle.close();
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('opens the data directory with fsync on, commits waiting for it, and the fsync WAL method', async () => {
    const handle = await openDatabase({ url: '', dataDir });
    try {
      expect(await setting(handle.db, 'fsync')).toBe('on');
      expect(await setting(handle.db, 'synchronous_commit')).toBe('on');
      expect(await setting(handle.db, 'wal_sync_method')).toBe('fsync');
    } finally {
      await handle.close();
    }
  });

  it('fsyncs a WAL file before an INSERT resolves', async () => {
    const walInodes = () => new Set(readdirSync(join(dataDir, 'pg', 'pg_wal')).map((f) => statSync(join(dataDir, 'pg', 'pg_wal', f)).ino));
    const log: Array<{ synced: number } | 'resolved'> = [];
    const fs = new DurableNodeFS(join(dataDir, 'pg'), { syncFile: (fd) => log.push({ synced: fstatSync(fd).ino }) });
    const pglite = await PGlite.create({ fs, startParams: durableStartParams() });
    try {
      log.length = 0;
      await pglite.query('insert into notes values ($1) on conflict do nothing', [2]).then(() => log.push('resolved'));
      const wal = walInodes();
      const resolvedAt = log.indexOf('resolved');
      const walSyncs = log.slice(0, resolvedAt).filter((e) => e !== 'resolved' && wal.has(e.synced));
      expect(resolvedAt).toBeGreaterThan(0);
      expect(walSyncs.length).toBeGreaterThanOrEqual(1);
    } finally {
      await pglite.close();
    }
  });

  it('runs without fsync when embedded_fsync is turned off', async () => {
    const handle = await openDatabase({ url: '', dataDir, embeddedFsync: false });
    try {
      expect(await setting(handle.db, 'fsync')).toBe('off');
      // Same data directory, same data: the switch changes only when writes reach the disk.
      const rows = await sql<{ id: number }>`select id from notes where id = 1`.execute(handle.db);
      expect(rows.rows).toEqual([{ id: 1 }]);
    } finally {
      await handle.close();
    }
  });

  it('takes database.embedded_fsync from config, on the data directory the gateway locks', async () => {
    for (const [value, expected] of [[undefined, 'on'], ['false', 'off']] as const) {
      const config = loadConfig({
        env: {
          E2A_ENV: 'test',
          E2A_DATA_DIR: dataDir,
          E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
          E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
          E2A_DNS_SERVERS: '127.0.0.1:9',
          ...(value === undefined ? {} : { E2A_DATABASE_EMBEDDED_FSYNC: value }),
        },
      });
      const gateway = await createGateway({ config, logger: pino({ level: 'silent' }), dkimKeyBits: 1024 });
      try {
        expect(existsSync(join(dataDir, 'e2a.pid'))).toBe(true);
        expect(await setting(gateway.database.db, 'fsync')).toBe(expected);
      } finally {
        await gateway.stop();
      }
      expect(existsSync(join(dataDir, 'e2a.pid'))).toBe(false);
    }
  });

  it('leaves the in-memory database (no data directory) as PGlite makes it', async () => {
    const handle = await openDatabase({ url: '', dataDir: null });
    try {
      expect(await setting(handle.db, 'fsync')).toBe('off');
    } finally {
      await handle.close();
    }
  });

  it('stops the process when an fsync fails, before the commit is answered', { timeout: 60_000 }, async () => {
    // In a child: the failure policy exits the process it runs in. It runs the compiled module, as the server does.
    const module = pathToFileURL(compiled('api/dist/db/durable-node-fs.js')).href;
    const script = `
      import { PGlite } from '@electric-sql/pglite';
      import { DurableNodeFS, durableStartParams } from ${JSON.stringify(module)};
      let failing = false;
      const fs = new DurableNodeFS(${JSON.stringify(join(dataDir, 'pg'))}, {
        syncFile: () => { if (failing) throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }); },
      });
      const pglite = await PGlite.create({ fs, startParams: durableStartParams() });
      failing = true;
      await pglite.query('insert into notes values (3) on conflict do nothing');
      console.log('ANSWERED');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(REPO_ROOT, 'api'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(out).toContain('fsync in the embedded database failed (EIO: i/o error, fsync)');
    expect(out).not.toContain('ANSWERED');
    expect(code).toBe(1);

    // The next start recovers from the WAL; the unanswered row may or may not be there, the rest is.
    const handle = await openDatabase({ url: '', dataDir });
    try {
      const rows = await sql<{ id: number }>`select id from notes where id = 1`.execute(handle.db);
      expect(rows.rows).toEqual([{ id: 1 }]);
    } finally {
      await handle.close();
    }
  });
});
