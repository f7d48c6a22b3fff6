/**
 * `e2a dashboard` against a live gateway process: the link it prints signs a browser in, and
 * `--open` hands it to the platform's opener, or says why it could not and still prints it.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveServer, type LiveServer } from '../../sdk-ts/src/testing/live-server.js';
import { EXIT } from './exit-codes.js';
import { runCli } from './testing/run-cli.js';

let server: LiveServer;
let env: Record<string, string>;

beforeAll(async () => {
  server = await startLiveServer();
  env = { E2A_CLI_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'e2a-cli-')), HOME: mkdtempSync(join(tmpdir(), 'e2a-home-')), E2A_API_URL: server.baseUrl, E2A_API_KEY: server.apiKey };
});
afterAll(() => server?.stop());

/** Opens the link as a browser would: the session cookie it sets reads the account. */
async function signsIn(url: string): Promise<void> {
  const res = await fetch(`${server.baseUrl}${new URL(url).pathname}`, { redirect: 'manual' });
  expect(res.status).toBe(303);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.slice(0, c.indexOf(';')))
    .join('; ');
  const agents = await fetch(`${server.baseUrl}/v1/agents`, { headers: { cookie } });
  expect(agents.status).toBe(200);
}

/** A directory holding only an `xdg-open` that runs `script`, to stand in for the platform opener. */
function fakeOpener(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-opener-'));
  writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(dir, 'xdg-open'), 0o755);
  return dir;
}

describe.skipIf(process.platform !== 'linux')('e2a dashboard', () => {
  it('prints a one-time sign-in link that works', async () => {
    const r = await runCli(['dashboard'], env);
    expect(r.code, r.stderr).toBe(0);
    const url = r.stdout.split('\n')[0]!;
    expect(url).toMatch(/\/sign-in\/[\w-]+$/);
    await signsIn(url);
    const json = await runCli(['--json', 'dashboard'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ url: expect.stringContaining('/sign-in/'), expires_at: expect.any(String) });
  });

  it('--open runs the opener with the link', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'e2a-opened-')), 'url');
    const r = await runCli(['dashboard', '--open'], { ...env, PATH: fakeOpener(`printf '%s' "$1" > ${out}`) });
    expect(r.code, r.stderr).toBe(0);
    const url = r.stdout.split('\n')[0]!;
    expect(readFileSync(out, 'utf8')).toBe(url);
    await signsIn(url);
  });

  it('--open without a working opener says so and still prints the link', async () => {
    const missing = await runCli(['dashboard', '--open'], { ...env, PATH: mkdtempSync(join(tmpdir(), 'e2a-empty-')) });
    expect(missing.code).toBe(EXIT.other);
    expect(missing.stderr).toContain('could not open a browser');
    await signsIn(missing.stdout.split('\n')[0]!);

    const failing = await runCli(['dashboard', '--open'], { ...env, PATH: fakeOpener('exit 3') });
    expect(failing.code).toBe(EXIT.other);
    expect(failing.stderr).toContain('exit status 3');
    expect(failing.stdout).toContain('/sign-in/');
  });
});
