import { createServer, type Server } from 'node:net';
import { createFakeResolver } from '@e2a/relay/testing';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { createGateway } from './gateway.js';
import { openTestDatabase } from './testing/databases.js';

function listenOn(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('gateway start-up', () => {
  it('undoes what it started when the HTTP port is taken', async () => {
    const busy = await listenOn();
    const busyPort = (busy.address() as { port: number }).port;
    const probe = await listenOn();
    const smtpPort = (probe.address() as { port: number }).port;
    await new Promise((r) => probe.close(r));
    const db = await openTestDatabase('pglite');
    try {
      const config = loadConfig({
        env: {
          E2A_ENV: 'test',
          E2A_HTTP_LISTEN_ADDR: `127.0.0.1:${busyPort}`,
          E2A_SMTP_LISTEN_ADDR: `127.0.0.1:${smtpPort}`,
          E2A_SIGNING_HMAC_SECRET: 'x'.repeat(40),
          E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
        },
      });
      await expect(createGateway({ config, logger: pino({ level: 'silent' }), database: db.handle, resolver: createFakeResolver({}) })).rejects.toThrow(/EADDRINUSE/);
      // The SMTP listener it had opened is closed again: the port can be taken.
      const again = await listenOn(smtpPort);
      await new Promise((r) => again.close(r));
    } finally {
      await new Promise((r) => busy.close(r));
      await db.drop();
    }
  });
});
