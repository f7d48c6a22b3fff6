/**
 * `e2a lists` against a live gateway: a list created, members added, listed and removed, the post
 * policy changed, a bad policy refused as a usage error, and the list deleted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../sdk-ts/src/testing/live-server.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './testing/run-cli.js';

let server: LiveServer;
let env: Record<string, string>;
const team = 'crew@agents.test';

const e2a = (args: string[]) => runCli(args, env);
const json = async (args: string[]) => {
  const r = await e2a(['--json', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  server = await startLiveServer();
  env = {
    E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')),
    HOME: mkdtempSync(join(tmpdir(), 'e2a-home-')),
    E2A_API_URL: server.baseUrl,
    E2A_API_KEY: server.apiKey,
  };
  for (const name of ['ann', 'ben']) await json(['agents', 'create', `crew-${name}`]);
});
afterAll(async () => {
  await server?.stop();
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
