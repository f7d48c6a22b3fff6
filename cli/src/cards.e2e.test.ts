/**
 * `e2a cards` and `e2a directory` against a live gateway: a card set from a file and flags, read back,
 * found by words and by tag, and withdrawn.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const bot = 'cardbot@agents.test';

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

beforeAll(async () => {
  harness = await startCliHarness();
  expect((await json(['agents', 'create', 'cardbot'])).address).toBe(bot);
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a cards and e2a directory', () => {
  it('sets a card from a file and flags, finds it, and withdraws it', async () => {
    const file = join(harness.env.HOME!, 'card.yaml');
    writeFileSync(file, 'description: Reads invoices and extracts totals\nskills: [invoice-processing, ocr]\nlanguages: [en]\n');
    const saved = await json(['cards', 'set', '--agent', bot, '--file', file, '--accepts', 'application/pdf', '--contact-policy', 'contacts_only']);
    expect(saved).toMatchObject({ address: bot, skills: ['invoice-processing', 'ocr'], accepted_content_types: ['application/pdf'], contact_policy: 'contacts_only', visibility: 'account' });
    // Flags alone change only what they name.
    expect(await json(['cards', 'set', '--agent', bot, '--name', 'Invoice Bot'])).toMatchObject({ display_name: 'Invoice Bot', skills: ['invoice-processing', 'ocr'] });
    const shown = await e2a(['cards', 'get', '--agent', bot]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('skills:         invoice-processing, ocr');

    const found = await e2a(['directory', 'search', 'invoices']);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(bot);
    expect((await json(['directory', 'search', '--tag', 'ocr'])).map((c: { address: string }) => c.address)).toEqual([bot]);
    expect(await json(['directory', 'search', '--tag', 'payroll'])).toEqual([]);

    const bad = await e2a(['cards', 'set', '--agent', bot, '--skill', 'not a tag']);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain('skill');

    expect((await e2a(['cards', 'delete', '--agent', bot])).code).toBe(0);
    expect((await e2a(['cards', 'get', '--agent', bot])).code).toBe(EXIT.notFound);
  });
});
