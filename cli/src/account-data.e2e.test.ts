/**
 * `e2a account export`, `e2a agents delete` and `e2a account delete` against a live gateway: the
 * archive written to a file (a tar holding the message as stored), a deletion refused without its
 * confirmation in a script, scheduled with it, and cancelled; the account's deletion cancelled with
 * its token, with the keys working again.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SmtpTestClient } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const bot = 'keeper@agents.test';

const e2a = (args: string[]) => harness.e2a(args);
const json = (args: string[]) => harness.json(args);

beforeAll(async () => {
  harness = await startCliHarness();
  await json(['agents', 'create', 'keeper']);
  const client = await SmtpTestClient.connect(harness.server.smtpPort);
  try {
    await client.ehlo('client.example.com');
    const sent = await client.send('alice@example.com', [bot], Buffer.from(`From: alice@example.com\r\nTo: ${bot}\r\nSubject: keep this\r\nMessage-ID: <keep@example.com>\r\n\r\nkept\r\n`));
    expect(sent.data?.code).toBe(250);
  } finally {
    await client.quit();
  }
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a account export and deletions', () => {
  it('writes the export to --out as a tar holding the stored message', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'e2a-export-')), 'account.tar');
    const job = await json(['account', 'export', '--out', out]);
    expect(job).toMatchObject({ status: 'done', file: out });
    const tar = readFileSync(out);
    expect(tar.length).toBe(job.size_bytes);
    expect(tar.toString('latin1')).toContain('Subject: keep this');
    // ustar splits a long path over two header fields: its pieces, and the end-of-archive blocks.
    expect(tar.toString('latin1')).toContain(`e2a-export-${job.id}/manifest.json`);
    expect(tar.toString('latin1')).toContain(`agents/${bot}/messages`);
    expect(tar.subarray(tar.length - 1024).every((b) => b === 0)).toBe(true);
  });

  it('deletes an agent only when confirmed, and cancels the deletion', async () => {
    expect((await e2a(['agents', 'delete', bot])).code).toBe(EXIT.usage);
    const erasure = await json(['agents', 'delete', bot, '--confirm', bot]);
    expect(erasure).toMatchObject({ scope: 'agent', target: bot, status: 'scheduled' });
    expect((await e2a(['agents', 'get', bot])).code).not.toBe(0);
    expect(await json(['agents', 'delete', bot, '--cancel', erasure.id])).toMatchObject({ status: 'cancelled' });
    expect(await json(['agents', 'get', bot])).toMatchObject({ address: bot });
    expect((await json(['account', 'erasures'])).map((e: { id: string }) => e.id)).toContain(erasure.id);
  });

  it('deletes the account only when confirmed; its token cancels that, with no working key', async () => {
    const whoami = await json(['whoami']);
    expect((await e2a(['account', 'delete'])).code).toBe(EXIT.usage);
    const erasure = await json(['account', 'delete', '--confirm', whoami.email]);
    expect(erasure).toMatchObject({ scope: 'account', status: 'scheduled' });
    expect((await e2a(['agents', 'list'])).code).toBe(EXIT.auth);
    expect(await json(['account', 'delete', '--cancel', erasure.id, '--token', erasure.cancel_token])).toMatchObject({ status: 'cancelled' });
    expect((await e2a(['agents', 'list'])).code).toBe(0);
  });
});
