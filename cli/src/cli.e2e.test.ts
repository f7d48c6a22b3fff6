/**
 * The `e2a` command line against a live gateway process: each command, its output, its exit code.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../sdk-ts/src/testing/live-server.js';
import { EXIT } from './exit-codes.js';
import { runCli, startCli } from './testing/run-cli.js';

let server: LiveServer;
let env: Record<string, string>;
const bot = 'bot@agents.test';

async function mail(subject: string, to = bot, headers: string[] = []): Promise<void> {
  const client = await SmtpTestClient.connect(server.smtpPort);
  await client.ehlo();
  const r = await client.send('alice@example.com', [to], buildMessage({ to, subject, headers, messageId: `${subject.replace(/\W/g, '-')}@example.com` }));
  await client.quit();
  if (r.data?.code !== 250) throw new Error(`SMTP: ${JSON.stringify(r.data)}`);
}

const e2a = (args: string[], extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra });
const json = async (args: string[]) => {
  const r = await e2a(['--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  server = await startLiveServer();
  env = { E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')), HOME: mkdtempSync(join(tmpdir(), 'e2a-home-')) };
});
afterAll(() => server?.stop());

describe('e2a CLI', () => {
  it('logs in, stores the key privately, and says who it is', async () => {
    const bad = await e2a(['login', '--url', server.baseUrl, '--key', 'e2a_wrong']);
    expect(bad.code).toBe(EXIT.auth);
    expect(bad.stderr).toContain('unknown API key');
    const login = await e2a(['login', '--url', server.baseUrl, '--key', server.apiKey]);
    expect(login.code, login.stderr).toBe(0);
    const file = join(env.E2A_CLI_CONFIG_DIR!, 'config.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await json(['whoami'])).toMatchObject({ email: 'admin@agents.test', scope: 'account' });
    expect((await e2a(['config', 'get', 'api_url'])).stdout.trim()).toBe(server.baseUrl);
    expect((await e2a(['config', 'set', 'agent', bot])).code).toBe(0);
    expect((await e2a(['config', 'list'])).stdout).toContain(`agent=${bot}`);
    expect((await e2a(['config', 'get', 'nonsense'])).code).toBe(EXIT.usage);
    expect((await e2a(['whoami'], { E2A_API_KEY: 'e2a_revoked-or-wrong' })).code).toBe(EXIT.auth);
  });

  it('manages agents and keys', async () => {
    expect((await json(['agents', 'create', 'bot'])).address).toBe(bot);
    expect((await json(['agents', 'list'])).map((a: { address: string }) => a.address)).toContain(bot);
    expect((await json(['agents', 'get', bot])).address).toBe(bot);
    expect((await e2a(['agents', 'get', 'ghost@agents.test'])).code).toBe(EXIT.notFound);
    expect((await e2a(['agents', 'create', 'bad name'])).code).toBe(EXIT.usage);
    await json(['agents', 'create', 'temp']);
    // Deleting asks for the address again (a terminal prompt, or --confirm): without it, a usage error.
    expect((await e2a(['agents', 'delete', 'temp@agents.test'])).code).toBe(EXIT.usage);
    expect((await e2a(['agents', 'delete', 'temp@agents.test', '--confirm', 'temp@agents.test'])).code).toBe(0);

    const key = await json(['keys', 'create', '--name', 'ci', '--agent', bot]);
    expect(key.key).toMatch(/^e2a_/);
    expect((await json(['keys', 'list'])).map((k: { id: string }) => k.id)).toContain(key.id);
    expect((await e2a(['agents', 'create', 'x'], { E2A_API_KEY: key.key })).code).toBe(EXIT.auth);
    expect((await e2a(['keys', 'revoke', key.id])).code).toBe(0);
    expect((await e2a(['whoami'], { E2A_API_KEY: key.key })).code).toBe(EXIT.auth);
  });

  it('reads messages', async () => {
    await mail('cli hello');
    const list = await json(['messages', 'list', '--unread']);
    const msg = list.find((m: { subject: string }) => m.subject === 'cli hello');
    expect(msg).toBeDefined();
    const human = await e2a(['messages', 'get', msg.id]);
    expect(human.stdout).toContain('Subject:  cli hello');
    const raw = await e2a(['messages', 'raw', msg.id]);
    expect(raw.stdout).toMatch(/^X-E2A-Auth-Verified: /);
    expect((await e2a(['messages', 'get', 'msg_nope'])).code).toBe(EXIT.notFound);
  });

  it('manages webhooks and lists events', async () => {
    const hook = await json(['webhooks', 'create', 'http://127.0.0.1:9/hook', '--event', 'email.received']);
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await json(['webhooks', 'list'])).map((w: { id: string }) => w.id)).toContain(hook.id);
    expect((await json(['webhooks', 'rotate', hook.id])).secret).not.toBe(hook.secret);
    expect(Array.isArray(await json(['webhooks', 'deliveries', hook.id]))).toBe(true);
    expect((await e2a(['webhooks', 'delete', hook.id])).code).toBe(0);
    const events = await json(['events', 'list', '--type', 'email.received']);
    expect(events.some((e: { data: { subject: string } }) => e.data.subject === 'cli hello')).toBe(true);
  });

  it('listens: prints a message as it arrives and stops after --once', async () => {
    // A fresh agent, mailed only once the CLI is connected: nothing older can be replayed to it, so
    // only live delivery can print the message.
    expect((await e2a(['agents', 'create', 'listener'])).code).toBe(0);
    const listener = 'listener@agents.test';
    const cli = startCli(['listen', '--agent', listener, '--once', '--until', '60s'], env);
    await cli.waitFor('stderr', /^connected$/m);
    await mail('listen once', listener);
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expect(cli.stdout()).toMatch(/^\S+ {2}alice@example\.com {2}listen once {2}\((un)?verified, msg_\w+\)$/m);
  });

  it('listen --priority urgent hands on only urgent mail; the rest stays for a listener without it', async () => {
    expect((await e2a(['agents', 'create', 'triage'])).code).toBe(0);
    const triage = 'triage@agents.test';
    await mail('routine waiting', triage);
    const cli = startCli(['listen', '--agent', triage, '--priority', 'urgent', '--once', '--until', '60s'], env);
    await cli.waitFor('stderr', /^connected$/m);
    await mail('urgent arriving', triage, ['X-Priority: 1']);
    const { code } = await cli.exited;
    expect(code, cli.stderr()).toBe(0);
    expect(cli.stderr()).toContain('(urgent mail only)');
    expect(cli.stdout()).toContain('urgent arriving');
    expect(cli.stdout()).not.toContain('routine waiting');

    // The urgent one was acked; the routine one was left unacknowledged, so it comes now.
    const rest = await e2a(['listen', '--agent', triage, '--once', '--until', '60s']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain('routine waiting');
    expect(rest.stdout).not.toContain('urgent arriving');

    const urgent = await json(['messages', 'list', '--agent', triage, '--priority', 'urgent']);
    expect(urgent.map((m: { subject: string; priority: string }) => [m.subject, m.priority])).toEqual([['urgent arriving', 'urgent']]);
    expect((await e2a(['listen', '--agent', triage, '--priority', 'high'])).code).toBe(EXIT.usage);
  });

  it('answers usage errors with exit 2 and help', async () => {
    const r = await e2a(['frobnicate']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect((await e2a(['send', '--agent', bot, '--subject', 'x'])).code).toBe(EXIT.usage);
    const help = await e2a(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });

  it('doctor checks the URL, key, clock and WebSocket', async () => {
    const r = await e2a(['doctor', '--agent', bot]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok\s+url/);
    expect(r.stdout).toMatch(/ok\s+websocket/);
    const down = await e2a(['doctor'], { E2A_API_URL: 'http://127.0.0.1:9' });
    expect(down.code).not.toBe(0);
    expect(down.stdout).toContain('unreachable');
  });
});
