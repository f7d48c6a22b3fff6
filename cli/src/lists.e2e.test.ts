/**
 * `e2a lists` against a live gateway: a list created, members added, listed and removed, the post
 * policy changed, a bad policy refused as a usage error, and the list deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from './exit-codes.js';
import { startCliHarness, type CliHarness } from './testing/cli-harness.js';

let harness: CliHarness;
const team = 'crew@agents.test';

const e2a = (args: string[], extra: Record<string, string> = {}) => harness.e2a(args, extra);
const json = (args: string[], extra: Record<string, string> = {}) => harness.json(args, extra);

beforeAll(async () => {
  harness = await startCliHarness();
  for (const name of ['ann', 'ben']) await json(['agents', 'create', `crew-${name}`]);
});
afterAll(async () => {
  await harness?.server.stop();
});

describe('e2a lists', () => {
  it('creates a list, manages its members and policy, and deletes it', async () => {
    expect(await json(['lists', 'create', 'crew', '--name', 'Crew'])).toMatchObject({ address: team, post_policy: 'members', list_id: `crew.crew.agents.test` });
    await json(['lists', 'members', 'add', team, 'crew-ann@agents.test']);
    await json(['lists', 'members', 'add', team, 'crew-ben@agents.test']);
    expect((await json(['lists', 'members', 'list', team])).map((m: { agent_address: string }) => m.agent_address).sort()).toEqual(['crew-ann@agents.test', 'crew-ben@agents.test']);
    await json(['lists', 'members', 'remove', team, 'crew-ben@agents.test']);
    expect(await json(['lists', 'get', team])).toMatchObject({ member_count: 1 });
    expect(await json(['lists', 'update', team, '--post-policy', 'anyone_verified'])).toMatchObject({ post_policy: 'anyone_verified' });
    expect((await json(['lists', 'list'])).map((l: { address: string }) => l.address)).toContain(team);
    const human = await e2a(['lists', 'get', team]);
    expect(human.stdout).toContain('List-Id:     <crew.crew.agents.test>');
    expect((await e2a(['lists', 'create', 'other', '--post-policy', 'everyone'])).code).toBe(EXIT.usage);
    await json(['lists', 'delete', team]);
    expect((await e2a(['lists', 'get', team])).code).not.toBe(0);
  });
});
