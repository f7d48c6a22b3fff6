/**
 * `e2a messages search` against a live gateway: one mailbox, every mailbox with --all, an agent key
 * kept to its own mailbox, snippets with the matched words marked, and usage errors.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const owl = 'owl@agents.test';
const wren = 'wren@agents.test';

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

async function mail(to: string, subject: string, body: string): Promise<void> {
  const client = await SmtpTestClient.connect(harness.server.smtpPort);
  await client.ehlo();
  const r = await client.send('alice@example.com', [to], buildMessage({ to, subject, body, messageId: `${subject.replace(/\W/g, '-')}@example.com` }));
  await client.quit();
  if (r.data?.code !== 250) throw new Error(`SMTP: ${JSON.stringify(r.data)}`);
}

beforeAll(async () => {
  harness = await startCliHarness();
  for (const name of ['owl', 'wren']) expect((await json(['agents', 'create', name])).address).toBe(`${name}@agents.test`);
  await mail(owl, 'Moth survey', 'The lichen <b>moth</b> came to the trap & stayed.\n');
  await mail(owl, 'Unrelated', 'Nothing about insects here.\n');
  await mail(wren, 'Moth survey too', 'A second moth for wren.\n');
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a messages search', () => {
  it('searches one mailbox, or every one with --all, and marks the words', async () => {
    const hits = await json(['messages', 'search', 'moth', '--agent', owl]);
    expect(hits.map((h: { subject: string }) => h.subject)).toEqual(['Moth survey']);
    expect(hits[0].match.snippet).toBe('The lichen <mark>moth</mark> came to the trap &amp; stayed.');

    const human = await e2a(['messages', 'search', 'moth', '--agent', owl]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('The lichen *moth* came to the trap & stayed.');

    const all = await json(['messages', 'search', 'moth', '--all']);
    expect(all.map((h: { agent_address: string }) => h.agent_address).sort()).toEqual([owl, wren]);
    const table = await e2a(['messages', 'search', 'moth', '--all']);
    expect(table.stdout).toMatch(/AGENT/);
    expect(table.stdout).toContain(wren);
  });

  it("keeps an agent key to its own mailbox, even with --all", async () => {
    const key = (await json(['keys', 'create', '--agent', wren])).key as string;
    const own = await json(['messages', 'search', 'moth', '--all'], { E2A_API_KEY: key });
    expect(own.map((h: { agent_address: string }) => h.agent_address)).toEqual([wren]);
    const other = await e2a(['messages', 'search', 'moth', '--agent', owl], { E2A_API_KEY: key });
    expect(other.code).toBe(EXIT.notFound);
  });

  it('refuses --agent with --all, and a query with no word', async () => {
    const both = await e2a(['messages', 'search', 'moth', '--agent', owl, '--all']);
    expect(both.code).toBe(EXIT.usage);
    expect(both.stderr).toContain('--agent or --all');
    const empty = await e2a(['messages', 'search', '!!', '--all']);
    expect(empty.code).not.toBe(0);
    expect(empty.stderr).toContain('no word');
  });
});
