/**
 * `e2a drafts` and `e2a send --at` against a live gateway in development with no outbound route, so
 * mail to outside addresses is captured in the local outbox: a draft is created, listed, changed
 * and sent (and is then gone), a scheduled send answers `scheduled` and is cancelled, and a bad
 * `--at` is a usage error before any request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const bot = 'drafter@agents.test';

const e2a = (args: string[]) => harness.e2a(args);
const json = (args: string[]) => harness.json(args);

beforeAll(async () => {
  harness = await startCliHarness();
  await json(['agents', 'create', 'drafter']);
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a drafts and send --at', () => {
  it('creates, lists, updates and sends a draft; once sent it is gone', async () => {
    const draft = await json(['drafts', 'create', '--agent', bot, '--to', 'someone@partner.example', '--subject', 'Draft from the CLI', '--body', 'first words']);
    expect(draft).toMatchObject({ agent_address: bot, to: ['someone@partner.example'], subject: 'Draft from the CLI', text: 'first words' });

    const listed = await e2a(['drafts', 'list', '--agent', bot]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(draft.id);
    expect(listed.stdout).toContain('Draft from the CLI');

    // Update changes what the flags name and keeps the rest.
    const updated = await json(['drafts', 'update', draft.id, '--agent', bot, '--subject', 'Changed subject', '--cc', 'other@partner.example']);
    expect(updated).toMatchObject({ id: draft.id, to: ['someone@partner.example'], cc: ['other@partner.example'], subject: 'Changed subject', text: 'first words' });
    const shown = await e2a(['drafts', 'get', draft.id, '--agent', bot]);
    expect(shown.stdout).toContain('Subject:  Changed subject');

    const sent = await json(['drafts', 'send', draft.id, '--agent', bot, '--wait']);
    expect(sent.status).toBe('sent');
    const captured = (await json(['outbox', 'list'])).find((i: { source_id: string }) => i.source_id === sent.id);
    expect(captured).toMatchObject({ subject: 'Changed subject', recipients: ['someone@partner.example', 'other@partner.example'] });
    expect((await e2a(['drafts', 'get', draft.id, '--agent', bot])).code).toBe(EXIT.notFound);
  });

  it('deletes a draft', async () => {
    const draft = await json(['drafts', 'create', '--agent', bot, '--subject', 'Short-lived']);
    expect((await e2a(['drafts', 'delete', draft.id, '--agent', bot])).code).toBe(0);
    expect((await e2a(['drafts', 'delete', draft.id, '--agent', bot])).code).toBe(EXIT.notFound);
  });

  it('schedules a send with --at, says so, and cancels it with `messages cancel`', async () => {
    const scheduled = await e2a(['send', '--agent', bot, '--to', 'later@partner.example', '--subject', 'Later', '--body', 'in an hour', '--at', '+1h']);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    const [, id] = /^scheduled: (\S+)/.exec(scheduled.stdout) ?? [];
    expect(scheduled.stdout).toMatch(/Sends at \d{4}-\d{2}-\d{2}T/);
    expect((await json(['messages', 'get', id!, '--agent', bot])).status).toBe('scheduled');
    expect(await json(['messages', 'cancel', id!, '--agent', bot])).toMatchObject({ id, status: 'cancelled' });

    const at = new Date(Date.now() + 2 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const viaDraft = await json(['drafts', 'create', '--agent', bot, '--to', 'later@partner.example', '--subject', 'Drafted for later', '--at', at]);
    expect(viaDraft.send_at).toBe(new Date(at).toISOString());
    const result = await json(['drafts', 'send', viaDraft.id, '--agent', bot]);
    expect(result).toMatchObject({ status: 'scheduled', send_at: new Date(at).toISOString() });
  });

  it('refuses a --at it cannot read before any request, and one in the past from the server', async () => {
    const bad = await e2a(['send', '--agent', bot, '--to', 'x@partner.example', '--body', 'x', '--at', 'tomorrow']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('RFC 3339');
    const past = await e2a(['send', '--agent', bot, '--to', 'x@partner.example', '--body', 'x', '--at', '2020-01-01T00:00:00Z']);
    expect(past.code).not.toBe(0);
    expect(past.stderr).toContain('send_at must be in the future');
  });
});
