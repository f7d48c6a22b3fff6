/**
 * The `e2a` commands for the local outbox, domains, protection, webhook tests and event redelivery,
 * and how the CLI fails: usage errors that say the fix, JSON errors with --json, and a URL that is
 * not an e2a server. Against a live gateway in development with no outbound route configured, so
 * mail to outside addresses is captured in the local outbox.
 */
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../api/src/testing/until.js';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const bot = 'bot@agents.test';
const servers: Server[] = [];

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

/** A local HTTP server answering every request with `answer`; its base URL. */
async function httpServer(answer: (res: import('node:http').ServerResponse) => void): Promise<string> {
  const s = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

beforeAll(async () => {
  harness = await startCliHarness();
  expect((await json(['agents', 'create', 'bot'])).address).toBe(bot);
});
afterAll(async () => {
  for (const s of servers) s.close();
  await harness?.server.stop();
});

describe('e2a outbox (no outbound route, development)', () => {
  it("captures an agent's send to an outside address; list and show read it; an agent key cannot", async () => {
    const sent = await json(['send', '--agent', bot, '--to', 'someone@partner.example', '--subject', 'Captured quote', '--body', 'Details: https://partner.example/q/1', '--wait']);
    expect(sent.status).toBe('sent');
    const items = await json(['outbox', 'list']);
    const item = items.find((i: { source_id: string }) => i.source_id === sent.id);
    expect(item).toMatchObject({ source: 'message', agent_address: bot, recipients: ['someone@partner.example'], subject: 'Captured quote' });

    const shown = await e2a(['outbox', 'show', item.id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Subject:  Captured quote');
    expect(shown.stdout).toContain('https://partner.example/q/1');
    const raw = await e2a(['outbox', 'show', item.id, '--raw']);
    expect(raw.stdout).toMatch(/^DKIM-Signature: /m);
    expect((await e2a(['outbox', 'open-link', item.id])).stdout.trim()).toBe('https://partner.example/q/1');

    const agentKey = (await json(['keys', 'create', '--name', 'bot-only', '--agent', bot])).key as string;
    const denied = await e2a(['outbox', 'list'], { E2A_API_KEY: agentKey });
    expect(denied.code).toBe(EXIT.auth);
    expect(denied.stderr).toContain('account key');
    expect((await e2a(['outbox', 'show', 'obx_01nothere'])).code).toBe(EXIT.notFound);
  });

  it("shows a held message's review notification, and open-link prints its working magic link", async () => {
    const set = await json(['protection', 'set', '--agent', bot, '--outbound-policy', 'allowlist', '--outbound-allow', '@partner.example', '--outbound-action', 'review', '--notify', 'reviewer@example.com', '--hold-for', '2h']);
    expect(set).toMatchObject({ outbound: { policy: 'allowlist', allowlist: ['@partner.example'], action: 'review' }, review_notify: ['reviewer@example.com'], holds: { ttl_seconds: 7200 } });
    const held = await e2a(['send', '--agent', bot, '--to', 'stranger@elsewhere.example', '--subject', 'Please review', '--body', 'hi']);
    expect(held.code, held.stderr).toBe(EXIT.heldForReview);

    const notice = await until('the review notification in the outbox', async () => {
      const items = (await json(['outbox', 'list'])) as Array<{ id: string; source: string; recipients: string[] }>;
      return items.find((i) => i.source === 'system_mail');
    });
    expect(notice.recipients).toEqual(['reviewer@example.com']);
    const link = await e2a(['outbox', 'open-link', notice.id]);
    expect(link.code, link.stderr).toBe(0);
    const url = link.stdout.trim();
    expect(url).toMatch(/\/review\/[^/]+$/);
    const page = await fetch(`${harness.server.baseUrl}${new URL(url).pathname}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Please review');
    expect(await json(['outbox', 'open-link', notice.id])).toEqual({ id: notice.id, link: url });
  });
});

describe('e2a protection', () => {
  it('gets it, and sets it from a YAML file with flags on top', async () => {
    const file = join(harness.env.HOME!, 'protection.yaml');
    writeFileSync(file, 'inbound:\n  policy: domain\n  allowlist: ["@example.com"]\n  action: flag\nreview_notify: [boss@example.com]\n');
    const saved = await json(['protection', 'set', '--agent', bot, '--file', file, '--scan', 'high']);
    expect(saved).toMatchObject({ inbound: { policy: 'domain', allowlist: ['@example.com'], action: 'flag' }, outbound: { policy: 'open' }, content_scan: { sensitivity: 'high' }, review_notify: ['boss@example.com'] });
    const got = await e2a(['protection', 'get', '--agent', bot]);
    expect(got.stdout).toContain('inbound:       domain [@example.com], otherwise flag');
    const json2 = join(harness.env.HOME!, 'protection.json');
    writeFileSync(json2, JSON.stringify({ outbound: { policy: 'open' } }));
    expect((await json(['protection', 'set', '--agent', bot, '--file', json2])).inbound.policy).toBe('open');

    writeFileSync(file, '- not\n- an object\n');
    const bad = await e2a(['protection', 'set', '--agent', bot, '--file', file]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('must hold a protection object');
    const badChoice = await e2a(['protection', 'set', '--agent', bot, '--outbound-policy', 'everyone']);
    expect(badChoice.code).toBe(EXIT.usage);
    expect(badChoice.stderr).toContain('Allowed choices are open, allowlist, domain');
  });
});

describe('e2a domains', () => {
  it('adds a domain, shows the records to publish, reports a failed verification, lists and deletes it', async () => {
    const added = await e2a(['domains', 'add', 'example-e2e.test']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('_e2a');
    expect(added.stdout).toContain('e2a-verify=');
    const records = await json(['domains', 'records', 'example-e2e.test']);
    expect(records.map((r: { type: string }) => r.type)).toEqual(expect.arrayContaining(['TXT', 'MX']));
    expect((await json(['domains', 'list'])).map((d: { name: string }) => d.name)).toEqual(['agents.test', 'example-e2e.test']);
    // No DNS answers here: the ownership record is not found.
    const verify = await e2a(['domains', 'verify', 'example-e2e.test']);
    expect(verify.code).not.toBe(0);
    expect(verify.stderr).toMatch(/e2a: /);
    expect((await json(['domains', 'delete', 'example-e2e.test'])).deleted).toBe('example-e2e.test');
    expect((await e2a(['domains', 'records', 'example-e2e.test'])).code).toBe(EXIT.notFound);
  });
});

describe('e2a webhooks test, events redeliver', () => {
  it('tests a webhook against a live receiver and redelivers an event to it', async () => {
    let hits = 0;
    const receiver = await httpServer((res) => {
      hits++;
      res.writeHead(204).end();
    });
    const hook = await json(['webhooks', 'create', `${receiver}/hooks`]);
    const tested = await e2a(['webhooks', 'test', hook.id]);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/^ok: the endpoint answered 204/);
    expect(hits).toBe(1);

    const [event] = await json(['events', 'list', '--limit', '1']);
    const redelivered = await json(['events', 'redeliver', event.id]);
    expect(redelivered.event_id).toBe(event.id);
    expect(redelivered.deliveries.map((d: { webhook_id: string }) => d.webhook_id)).toEqual([hook.id]);
    await until('the redelivery to arrive', () => hits >= 2);

    const failing = await json(['webhooks', 'create', `${await httpServer((res) => res.writeHead(500).end())}/down`]);
    const bad = await e2a(['webhooks', 'test', failing.id]);
    expect(bad.code).toBe(EXIT.other);
    expect(bad.stdout).toMatch(/^failed: HTTP 500/);
  });
});

describe('e2a failures', () => {
  it('bad values are usage errors (exit 2) that say the fix', async () => {
    for (const [args, fix] of [
      [['outbox', 'list', '--limit', 'abc'], 'expected a whole number from 1 to'],
      [['events', 'list', '--limit', '0'], 'expected a whole number from 1 to 200'],
      [['webhooks', 'create', 'not a url'], 'write it in full with the scheme'],
      [['webhooks', 'create', 'ftp://example.com/x'], 'expected an http:// or https:// URL'],
      [['login', '--url', 'localhost:8080', '--key', 'e2a_x'], 'expected an http:// or https:// URL'],
      [['listen', '--agent', bot, '--until', '5 minutes'], 'use e.g. 30s, 5m, 2h'],
      [['send', '--agent', bot, '--to', 'a@example.com', '--body', 'x', '--wait', '--timeout', 'soon'], 'expected a number of seconds'],
    ] as Array<[string[], string]>) {
      const r = await e2a(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(EXIT.usage);
      expect(r.stderr).toContain(fix);
    }
  });

  it('with --json, errors are one JSON object on stderr', async () => {
    const usage = await e2a(['--json', 'outbox', 'list', '--limit', 'abc']);
    expect(usage.code).toBe(EXIT.usage);
    expect(usage.stdout).toBe('');
    const parsed = JSON.parse(usage.stderr);
    expect(parsed.error.exit_code).toBe(EXIT.usage);
    expect(parsed.error.message).toContain('expected a whole number');

    const missing = await e2a(['outbox', 'show', 'obx_01nothere', '--json']);
    expect(missing.code).toBe(EXIT.notFound);
    expect(JSON.parse(missing.stderr).error).toMatchObject({ code: 'not_found', exit_code: EXIT.notFound });
    expect(JSON.parse(missing.stderr).error.request_id).toEqual(expect.any(String));

    const unknown = await e2a(['--json', 'outbox', 'nonsense']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(JSON.parse(unknown.stderr).error.exit_code).toBe(EXIT.usage);
  });

  it('a URL that is not an e2a server gets a clear message, not a TypeError', async () => {
    const html = await httpServer((res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Welcome to nginx!</title>'));
    const envelopeless = await httpServer((res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}'));
    const bare = await httpServer((res) => res.writeHead(200, { 'content-type': 'application/json' }).end('[1,2,3]'));
    for (const url of [html, envelopeless, bare]) {
      const r = await e2a(['agents', 'list'], { E2A_API_URL: url });
      expect(r.code, r.stderr).toBe(EXIT.other);
      expect(r.stderr).toContain(`${url} does not look like an e2a server`);
      expect(r.stderr).toContain('e2a config get api_url');
      expect(r.stderr).not.toMatch(/TypeError|SyntaxError/);
    }
    const r = await e2a(['--json', 'outbox', 'list'], { E2A_API_URL: html });
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'not_e2a', exit_code: EXIT.other });
    expect(JSON.parse(r.stderr).error.message).toContain('text/html ("<!doctype html><title>Welcome to nginx!</title>")');
  });
});
