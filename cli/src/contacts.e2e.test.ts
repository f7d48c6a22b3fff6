/**
 * `e2a contacts` against a live gateway: a request and its code, the other side's incoming list,
 * approval with the code, both sides' active grant, and revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const asker = 'contactasker@agents.test';
const target = 'contacttarget@agents.test';

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

beforeAll(async () => {
  harness = await startCliHarness();
  for (const name of ['contactasker', 'contacttarget']) await json(['agents', 'create', name]);
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a contacts', () => {
  it('requests, lists, approves with the code and revokes', async () => {
    const shown = await e2a(['contacts', 'request', target, '--agent', asker, '--note', 'from the CLI']);
    expect(shown.code, shown.stderr).toBe(0);
    const [, id, code] = /Request (\S+) is pending\.\nCode: (\S+)/.exec(shown.stdout) ?? [];
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);

    const incoming = await json(['contacts', 'list', '--agent', target, '--direction', 'incoming']);
    expect(incoming.items).toEqual([expect.objectContaining({ id, peer_address: asker, state: 'pending', note: 'from the CLI' })]);
    expect(JSON.stringify(incoming)).not.toContain(code!);

    const wrong = await e2a(['contacts', 'approve', id!, '--agent', target, '--code', 'AAAA-AAAA']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('wrong code');
    expect(await json(['contacts', 'approve', id!, '--agent', target, '--code', code!])).toMatchObject({ id, state: 'active' });

    const table = await e2a(['contacts', 'list', '--agent', asker, '--state', 'active']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+outgoing\\s+${target}\\s+active`));

    expect((await e2a(['contacts', 'revoke', id!, '--agent', target])).code).toBe(0);
    expect((await json(['contacts', 'list', '--agent', asker, '--state', 'revoked'])).items.map((c: { id: string }) => c.id)).toEqual([id]);
    expect((await e2a(['contacts', 'list', '--agent', asker, '--state', 'gone'])).code).toBe(EXIT.usage);
  });
});
