/**
 * `e2a listen --forward`: a local agent with no public URL answers mail. The reply must arrive at
 * the sender, here another agent on the same gateway.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2A } from '@e2a/sdk';
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../sdk-ts/src/testing/live-server.js';
import { runCli } from './testing/run-cli.js';

interface Captured {
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

async function startHandler(answer: (body: Record<string, unknown>) => unknown): Promise<{ url: string; requests: Captured[]; server: Server }> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      requests.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer(body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

let server: LiveServer;
let e2a: E2A;
const bot = 'bot@agents.test';
const alice = 'alice@agents.test';

async function mailFromAlice(subject: string): Promise<void> {
  const client = await SmtpTestClient.connect(server.smtpPort);
  await client.ehlo();
  const r = await client.send(alice, [bot], buildMessage({ from: `Alice <${alice}>`, to: bot, subject, messageId: `${subject.replace(/\W/g, '-')}@agents.test` }));
  await client.quit();
  if (r.data?.code !== 250) throw new Error(`SMTP: ${JSON.stringify(r.data)}`);
}

async function replyInAliceBox(subject: string): Promise<string> {
  for (let i = 0; i < 150; i++) {
    const { items } = await e2a.messages.list(alice, { subject_contains: `Re: ${subject}` });
    if (items[0]) return (await e2a.messages.get(alice, items[0].id)).text ?? '';
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no reply to "${subject}" reached ${alice}`);
}

beforeAll(async () => {
  server = await startLiveServer();
  e2a = new E2A({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  await e2a.agents.create({ local_part: 'bot' });
  await e2a.agents.create({ local_part: 'alice' });
});
afterAll(() => server?.stop());

describe('e2a listen --forward', () => {
  const env = () => ({
    E2A_API_URL: server.baseUrl,
    E2A_API_KEY: server.apiKey,
    E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')),
  });

  it('posts the message with its signed headers to a local handler and sends its answer as the reply', async () => {
    const handler = await startHandler(() => ({ reply: 'Handled by the local agent.' }));
    try {
      const run = runCli(['listen', '--agent', bot, '--forward', `${handler.url}/mail`, '--once', '--until', '60s'], env());
      await new Promise((r) => setTimeout(r, 1500));
      await mailFromAlice('local handler');
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      expect(handler.requests).toHaveLength(1);
      expect(handler.requests[0]!.body).toMatchObject({ subject: 'local handler', from: { address: alice } });
      expect(handler.requests[0]!.headers['x-e2a-auth-signature']).toMatch(/^[0-9a-f]{64}$/);
      expect(await replyInAliceBox('local handler')).toContain('Handled by the local agent.');
    } finally {
      handler.server.close();
    }
  });

  it('asks an OpenAI Responses endpoint with the fenced mail and replies with the model output', async () => {
    const model = await startHandler(() => ({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The model says hello back.', annotations: [] }] }],
    }));
    try {
      const run = runCli(['listen', '--agent', bot, '--forward', `${model.url}/v1/responses`, '--forward-token', 'sk-local', '--model', 'tiny', '--once', '--until', '60s'], env());
      await new Promise((r) => setTimeout(r, 1500));
      await mailFromAlice('model question');
      const result = await run;
      expect(result.code, result.stderr).toBe(0);
      const request = model.requests[0]!;
      expect(request.headers.authorization).toBe('Bearer sk-local');
      expect(request.body.model).toBe('tiny');
      expect(String(request.body.input)).toMatch(/<untrusted-email nonce="[0-9a-f]{24}">/);
      expect(String(request.body.input)).toContain('Subject: model question');
      expect(await replyInAliceBox('model question')).toContain('The model says hello back.');
    } finally {
      model.server.close();
    }
  });

  it('with --no-reply forwards but sends nothing', async () => {
    const handler = await startHandler(() => ({ reply: 'should not be sent' }));
    try {
      const run = runCli(['listen', '--agent', bot, '--forward', `${handler.url}/mail`, '--no-reply', '--once', '--until', '60s'], env());
      await new Promise((r) => setTimeout(r, 1500));
      await mailFromAlice('quiet please');
      expect((await run).code).toBe(0);
      expect(handler.requests).toHaveLength(1);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await e2a.messages.list(alice, { subject_contains: 'Re: quiet please' })).items).toHaveLength(0);
    } finally {
      handler.server.close();
    }
  });
});
