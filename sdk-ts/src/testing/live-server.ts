/**
 * A real gateway process for the SDK's tests, on fixed ports so a restart keeps the same URL. The
 * SDK never imports the server: the tests talk to it over HTTP, WebSocket and SMTP only, as users do.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Test harness only: starting the server process the way an operator does.
import { startServer, type RunningServer } from '../../../api/src/testing/server-process.js';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface LiveServer {
  baseUrl: string;
  smtpPort: number;
  /** The admin key printed at first start. */
  apiKey: string;
  env: Record<string, string>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLiveServer(extraEnv: Record<string, string> = {}): Promise<LiveServer> {
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const env = {
    E2A_DATA_DIR: mkdtempSync(join(tmpdir(), 'e2a-sdk-')),
    E2A_SHARED_DOMAIN: 'agents.test',
    E2A_SIGNING_HMAC_SECRET: 'sdk-test-hmac-secret-0123456789abcdef',
    E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    E2A_DNS_SERVERS: '127.0.0.1:9',
    E2A_DNS_TIMEOUT_MS: '200',
    ...extraEnv,
    E2A_HTTP_LISTEN_ADDR: `127.0.0.1:${httpPort}`,
    E2A_SMTP_LISTEN_ADDR: `127.0.0.1:${smtpPort}`,
  };
  let server: RunningServer = await startServer(env);
  const apiKey = /API key: (e2a_\S+)/.exec(server.output())?.[1];
  if (!apiKey) throw new Error(`no admin key printed:\n${server.output()}`);
  const stop = async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  };
  return {
    baseUrl: `http://127.0.0.1:${httpPort}`,
    smtpPort,
    apiKey,
    env,
    async restart() {
      await stop();
      server = await startServer(env);
    },
    stop,
  };
}
