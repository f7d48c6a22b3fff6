import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPostgresDatabase, ENGINES, openTestDatabase } from '../testing/databases.js';
import { openDatabase } from './database.js';
import { migrate, readMigrations, verifyMigrations } from './migrator.js';

describe.each(ENGINES)('migrator (%s)', (engine) => {
  it('applies every file once, records it, and re-running changes nothing', async () => {
    const t = await openTestDatabase(engine, { migrate: false });
    try {
      const files = readMigrations();
      expect((await verifyMigrations(t.handle)).pending).toEqual(files.map((f) => f.name));
      const first = await migrate(t.handle);
      expect(first).toEqual({ applied: files.map((f) => f.name), pending: [], mismatched: [] });
      expect(await migrate(t.handle)).toEqual(first);
      expect(await verifyMigrations(t.handle)).toEqual(first);
    } finally {
      await t.drop();
    }
  });

  it('refuses to run when a landed migration was edited, and rolls back a failing one', async () => {
    const t = await openTestDatabase(engine, { migrate: false });
    const dir = mkdtempSync(join(tmpdir(), 'e2a-migrations-'));
    try {
      writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (id int);');
      await migrate(t.handle, readMigrations(dir));
      writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (id bigint);');
      expect((await verifyMigrations(t.handle, readMigrations(dir))).mismatched).toEqual(['0001_a.sql']);
      await expect(migrate(t.handle, readMigrations(dir))).rejects.toThrow(/changed after they were applied: 0001_a.sql/);

      writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (id int);');
      writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (id int);\nSELECT no_such_function();');
      await expect(migrate(t.handle, readMigrations(dir))).rejects.toThrow(/migration 0002_b.sql failed/);
      // Nothing of the failed file stayed: table b does not exist and 0002 is still pending.
      expect((await verifyMigrations(t.handle, readMigrations(dir))).pending).toEqual(['0002_b.sql']);
      writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (id int);');
      expect((await migrate(t.handle, readMigrations(dir))).applied).toEqual(['0001_a.sql', '0002_b.sql']);
    } finally {
      await t.drop();
    }
  });
});

describe.runIf(ENGINES.includes('postgres'))('migrator with replicas starting together', () => {
  it('serialises concurrent start-ups on the advisory lock', async () => {
    const created = await createPostgresDatabase();
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ url: created.url, dataDir: null, poolSize: 2 })));
    try {
      const results = await Promise.all(handles.map((h) => migrate(h)));
      for (const r of results) expect(r.pending).toEqual([]);
    } finally {
      for (const h of handles) await h.close();
      await created.drop();
    }
  });
});
