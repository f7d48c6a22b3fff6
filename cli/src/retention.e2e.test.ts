/**
 * The trash and retention from the CLI against a live gateway: `e2a messages delete / restore /
 * list --trash`, `messages get --reply-only`, `agents update --retention-days`, `retention show / set`.
 */
import { buildMessage, SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const heron = 'heron@agents.test';

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

async function mail(subject: string, body: string): Promise<string> {
  const client = await SmtpTestClient.connect(harness.server.smtpPort);
  await client.ehlo();
  const r = await client.send('alice@example.com', [heron], buildMessage({ to: heron, subject, body, messageId: `${subject.replace(/\W/g, '-')}@example.com` }));
  await client.quit();
  if (r.data?.code !== 250) throw new Error(`SMTP: ${JSON.stringify(r.data)}`);
  const items = await json(['messages', 'list', '--agent', heron, '--subject', subject]);
  return items[0].id as string;
}

beforeAll(async () => {
  harness = await startCliHarness();
  expect((await json(['agents', 'create', 'heron'])).address).toBe(heron);
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a trash and retention', () => {
  it('deletes to the trash, lists the trash, restores', async () => {
    const id = await mail('Old minutes', 'Minutes of the last meeting.\n');
    const deleted = await e2a(['messages', 'delete', id, '--agent', heron]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`e2a messages restore ${id}`);
    expect((await json(['messages', 'list', '--agent', heron])).map((m: { id: string }) => m.id)).not.toContain(id);
    const trash = await json(['messages', 'list', '--agent', heron, '--trash']);
    expect(trash.map((m: { id: string }) => m.id)).toEqual([id]);
    expect(trash[0].deleted_at).not.toBeNull();

    const restored = await json(['messages', 'restore', id, '--agent', heron]);
    expect(restored).toMatchObject({ id, deleted_at: null });
    expect((await json(['messages', 'list', '--agent', heron, '--trash']))).toEqual([]);
    expect((await e2a(['messages', 'delete', 'msg_nope', '--agent', heron])).code).toBe(EXIT.notFound);
  });

  it('prints only what a reply adds with get --reply-only', async () => {
    const id = await mail('Re: lunch', 'Tuesday works.\n\nOn Mon, Mar 3, 2025 at 10:02 AM Bob <bob@example.com> wrote:\n> Lunch this week?\n');
    const whole = await e2a(['messages', 'get', id, '--agent', heron]);
    expect(whole.stdout).toContain('> Lunch this week?');
    const reply = await e2a(['messages', 'get', id, '--agent', heron, '--reply-only']);
    expect(reply.code, reply.stderr).toBe(0);
    expect(reply.stdout.trimEnd().endsWith('Tuesday works.')).toBe(true);
    expect(reply.stdout).not.toContain('Lunch this week');
    expect((await json(['messages', 'get', id, '--agent', heron])).extracted_text).toBe('Tuesday works.');
  });

  it("sets the account's retention and an agent's own", async () => {
    expect(await json(['retention', 'show'])).toMatchObject({ retention_days: null });
    expect(await json(['retention', 'set', '90'])).toMatchObject({ retention_days: 90 });
    const shown = await e2a(['retention', 'show']);
    expect(shown.stdout).toContain('90 day(s) after it arrives');
    expect(await json(['retention', 'set', 'forever'])).toMatchObject({ retention_days: null });

    expect((await json(['agents', 'update', heron, '--retention-days', '30'])).retention_days).toBe(30);
    expect((await json(['agents', 'update', heron, '--retention-days', 'forever'])).retention_days).toBeNull();
    const back = await e2a(['agents', 'update', heron, '--retention-days', 'account']);
    expect(back.stdout).toContain("as the account's setting says");

    for (const bad of [['agents', 'update', heron, '--retention-days', '0'], ['retention', 'set', 'account'], ['retention', 'set', '1.5']]) {
      const r = await e2a(bad);
      expect(r.code, bad.join(' ')).toBe(EXIT.usage);
      expect(r.stderr).toContain('number of days');
    }
  });
});
