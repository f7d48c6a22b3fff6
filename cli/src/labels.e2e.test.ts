/**
 * `e2a messages label`, `e2a conversations label`, `e2a messages list --label`, `e2a conversations
 * list --label` and `e2a labels` against a live gateway: labels put on and taken off, the filter
 * (repeated: all of them), the counts, deletion, and refusals with their exit codes.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const bot = 'labeller@agents.test';
const ids: Record<string, string> = {};
const conversations: Record<string, string> = {};

const e2a = (args: string[]) => harness.e2a(args, { E2A_AGENT_EMAIL: bot });
const json = (args: string[]) => harness.json(args, { E2A_AGENT_EMAIL: bot });

async function mail(subject: string): Promise<void> {
  const client = await SmtpTestClient.connect(harness.server.smtpPort);
  await client.ehlo();
  const r = await client.send('alice@example.com', [bot], buildMessage({ to: bot, subject, messageId: `${subject.replace(/\W/g, '-')}@example.com` }));
  await client.quit();
  if (r.data?.code !== 250) throw new Error(`SMTP: ${JSON.stringify(r.data)}`);
}

beforeAll(async () => {
  harness = await startCliHarness();
  await json(['agents', 'create', 'labeller']);
  for (const subject of ['label one', 'label two']) await mail(subject);
  for (const m of (await json(['messages', 'list'])) as Array<{ id: string; subject: string; conversation_id: string }>) {
    ids[m.subject] = m.id;
    conversations[m.subject] = m.conversation_id;
  }
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a labels', () => {
  it('labels messages, filters by label and counts', async () => {
    const one = ids['label one']!;
    const two = ids['label two']!;
    const shown = await e2a(['messages', 'label', one, '--add', 'invoices', '--add', 'todo']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.trim()).toBe(`${one}: unread, invoices, todo`);
    expect(await json(['messages', 'label', two, '--add', 'Invoices'])).toEqual({ labels: ['unread', 'invoices'] });
    expect(await json(['messages', 'label', one, '--remove', 'todo', '--add', 'done'])).toEqual({ labels: ['unread', 'done', 'invoices'] });

    const labelled = (await json(['messages', 'list', '--label', 'invoices'])) as Array<{ id: string }>;
    expect(new Set(labelled.map((m) => m.id))).toEqual(new Set([one, two]));
    expect(((await json(['messages', 'list', '--label', 'invoices', '--label', 'done'])) as Array<{ id: string }>).map((m) => m.id)).toEqual([one]);
    const table = await e2a(['messages', 'list', '--label', 'done']);
    expect(table.stdout).toMatch(new RegExp(`${one}.*unread,done,invoices`));

    const counts = (await json(['labels'])).items as Array<{ name: string; messages: number }>;
    expect(counts.map((l) => [l.name, l.messages])).toEqual([
      ['unread', 2],
      ['sent', 0],
      ['trash', 0],
      ['done', 1],
      ['invoices', 2],
      ['todo', 0],
    ]);
    const human = await e2a(['labels', 'list']);
    expect(human.stdout).toMatch(/invoices\s+user\s+2\s+2\s+0/);
  });

  it('deletes a label, and refuses what cannot be done with the matching exit code', async () => {
    expect((await e2a(['labels', 'delete', 'invoices'])).code).toBe(0);
    expect(((await json(['messages', 'list', '--label', 'invoices'])) as unknown[]).length).toBe(0);
    expect((await e2a(['labels', 'delete', 'invoices'])).code).toBe(EXIT.notFound);

    const system = await e2a(['messages', 'label', ids['label one']!, '--add', 'unread']);
    expect(system.code).toBe(EXIT.usage);
    expect(system.stderr).toContain('unread is a system label');
    expect((await e2a(['messages', 'label', ids['label one']!])).code).toBe(EXIT.usage);
    expect((await e2a(['messages', 'label', 'msg_01jnothing0000000000000000', '--add', 'x'])).code).toBe(EXIT.notFound);
  });

  it("labels a conversation apart from its messages, lists conversations by label; refusals exit as for a message", async () => {
    const thread = conversations['label two']!;
    const shown = await e2a(['conversations', 'label', thread, '--add', 'finance', '--add', 'waiting']);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout.trim()).toBe(`${thread}: unread, finance, waiting`);
    expect(await json(['conversations', 'label', thread, '--remove', 'waiting'])).toEqual({ labels: ['unread', 'finance'] });

    // The conversation's own label: its messages do not carry it, the counts say where it is.
    expect(((await json(['messages', 'list', '--label', 'finance'])) as unknown[]).length).toBe(0);
    const counts = (await json(['labels'])).items as Array<{ name: string; messages: number; conversations: number }>;
    expect(counts.find((l) => l.name === 'finance')).toMatchObject({ messages: 0, conversations: 1 });
    expect(counts.find((l) => l.name === 'waiting')).toMatchObject({ messages: 0, conversations: 0 });

    // Listed by that label: exactly the conversation; without it, both (list is the default).
    expect(((await json(['conversations', 'list', '--label', 'finance'])) as Array<{ id: string }>).map((conv) => conv.id)).toEqual([thread]);
    expect(((await json(['conversations', 'list', '--label', 'finance', '--label', 'waiting'])) as unknown[]).length).toBe(0);
    const all = (await json(['conversations'])) as Array<{ id: string; message_count: number }>;
    expect(new Set(all.map((conv) => conv.id))).toEqual(new Set([conversations['label one'], thread]));
    expect(all.map((conv) => conv.message_count)).toEqual([1, 1]);
    expect(((await json(['conversations', 'list', '--limit', '1'])) as unknown[]).length).toBe(1);
    const listed = await e2a(['conversations', 'list', '--label', 'finance']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+SUBJECT\s+MESSAGES\s+LAST_MESSAGE_AT\s+LABELS$/m);
    expect(listed.stdout).toMatch(new RegExp(`^${thread}\\s+label two\\s+1\\s+\\S+\\s+unread,finance$`, 'm'));
    const detail = (await json(['conversations', 'get', thread])) as { id: string; labels: string[]; messages: Array<{ id: string }> };
    expect(detail).toMatchObject({ id: thread, labels: ['unread', 'finance'] });
    expect(detail.messages.map((m) => m.id)).toEqual([ids['label two']]);

    const none = await e2a(['conversations', 'label', thread]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain('give --add <label> or --remove <label>');
    const system = await e2a(['conversations', 'label', thread, '--add', 'trash']);
    expect(system.code).toBe(EXIT.usage);
    expect(system.stderr).toContain('trash is a system label');
    expect((await e2a(['conversations', 'label', 'conv_01jnothing000000000000000', '--add', 'x'])).code).toBe(EXIT.notFound);
  });
});
